import { Aspects, CfnResource, type IAspect, Validations } from 'aws-cdk-lib';
import { rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (AwsSolutions) findings Tailguard accepts, each with its reason, kept in one place so
 * a reviewer reads every exception together. Each is acknowledged on the narrowest construct,
 * and IAM findings one by one (a new wildcard elsewhere in the same policy still fails).
 */
const REASONS = {
  lambdaBasicExecution:
    'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs; it is the AWS-maintained minimum.',
  lambdaRuntime:
    'Pinned to nodejs22.x, the runtime the test suite ran against; move to the next LTS runtime deliberately, after the suite passes on it.',
  scheduleGroup:
    "Schedules are named per job at run time; the wildcard covers only schedules inside Tailguard's own schedule group.",
  recurringSchedules:
    "The /schedules routes manage only `recurring-*` schedules of Tailguard's own group; scheduler:ListSchedules has no resource-level permissions, and the routes list only that group.",
  apiKeys:
    'Chosen with tailguard:apiAuth=apiKey: every method requires an API key of the usage plan (IAM SigV4 is the default).',
  machineAuth:
    'Callers are services, not users: the API uses IAM (SigV4) authorization by default, or API keys with a usage plan; Cognito user pools do not fit.',
  requestValidation:
    'Requests are validated in the intake Lambda by the zod schemas shared with the client, which name each bad field in a 400; API Gateway models cannot express the same rules.',
  executionLogs:
    'Access logs are on. Execution logging needs the account-wide API Gateway CloudWatch role, which one stack should not take over.',
  waf: 'Auth and throttling sit on the stage; attach a WAF web ACL to the stage where an organisation runs IP-based rules.',
  containerEnv: 'The environment holds resource names and tuning settings, none of them secret.',
  ecrToken:
    'ECS task execution role: ecr:GetAuthorizationToken only works on `*`; image pulls and logs are scoped by CDK to the repository and log group.',
  ecsAgent:
    "ECS container-instance role from CDK's capacity provider integration: the ECS agent's ecs:Submit* and poll actions cannot be resource-scoped.",
  payloadAccessLogs:
    'Objects are job payloads and results reached through IAM roles and short-lived presigned URLs the API issues; object-level audit belongs to CloudTrail data events, enabled per organisation, rather than a second bucket of access logs.',
  payloadPrefixes:
    "Payload keys are per job and per upload: each grant is scoped to one key prefix of Tailguard's own payload bucket.",
  ssmInstanceCore:
    'AmazonSSMManagedInstanceCore gives Session Manager access to GPU hosts in place of SSH keys and open ports.',
} as const;

const managedPolicy = (name: string) => `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;

function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/** Acknowledges the IAM5 findings under `scope` that `accept` allows, each by its full id. */
class AcknowledgeWildcards implements IAspect {
  constructor(
    private readonly accept: (finding: string) => boolean,
    private readonly reason: string,
  ) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    const findings = rules.iam.IAMNoWildcardPermissions(node);
    if (!Array.isArray(findings)) return;
    for (const finding of findings.filter(this.accept)) acknowledge(node, `AwsSolutions-IAM5[${finding}]`, this.reason);
  }
}

export const nag = {
  lambda(fn: IConstruct): void {
    acknowledge(fn, managedPolicy('service-role/AWSLambdaBasicExecutionRole'), REASONS.lambdaBasicExecution);
    acknowledge(fn, 'AwsSolutions-L1', REASONS.lambdaRuntime);
  },
  /** The only wildcard allowed under `scope`: schedules of Tailguard's own schedule group. */
  scheduleGroupWildcard(scope: IConstruct): void {
    Aspects.of(scope).add(
      new AcknowledgeWildcards(
        (f) => /^Resource::arn:.*:scheduler:.*:schedule\/<[^>]+>\/\*$/.test(f),
        REASONS.scheduleGroup,
      ),
    );
  },
  /** The `/schedules` routes: recurring schedules of Tailguard's group, and ListSchedules (resource `*` only). */
  recurringSchedules(scope: IConstruct): void {
    Aspects.of(scope).add(
      new AcknowledgeWildcards(
        (f) => /^Resource::arn:.*:scheduler:.*:schedule\/<[^>]+>\/recurring-\*$/.test(f) || f === 'Resource::*',
        REASONS.recurringSchedules,
      ),
    );
  },
  restApi(api: IConstruct): void {
    acknowledge(api, 'AwsSolutions-COG4', REASONS.machineAuth);
    acknowledge(api, 'AwsSolutions-APIG2', REASONS.requestValidation);
    acknowledge(api, 'AwsSolutions-APIG6', REASONS.executionLogs);
    acknowledge(api, 'AwsSolutions-APIG3', REASONS.waf);
  },
  /** The HTTP API (`api.kind: 'http'`): IAM on every route; no request validators or WAF on this kind. */
  httpApi(api: IConstruct): void {
    acknowledge(api, 'AwsSolutions-COG4', REASONS.machineAuth);
  },
  /** Only in `apiKey` mode: API keys stand in for an authorizer. */
  apiKeyAuth(api: IConstruct): void {
    acknowledge(api, 'AwsSolutions-APIG4', REASONS.apiKeys);
  },
  payloadBucket(bucket: IConstruct): void {
    acknowledge(bucket, 'AwsSolutions-S1', REASONS.payloadAccessLogs);
  },
  /** The only wildcards this allows under `scope`: key prefixes of the payload bucket. */
  payloadPrefixWildcards(scope: IConstruct): void {
    Aspects.of(scope).add(
      new AcknowledgeWildcards(
        (f) => /^Resource::<[^>]*PayloadsBucket[^>]*\.Arn>\/(payloads|uploads|results)\/\*$/.test(f),
        REASONS.payloadPrefixes,
      ),
    );
  },
  workerTask(task: IConstruct, executionRole: IConstruct): void {
    acknowledge(task, 'AwsSolutions-ECS2', REASONS.containerEnv);
    acknowledge(executionRole, 'AwsSolutions-IAM5[Resource::*]', REASONS.ecrToken);
  },
  gpuInstanceRole(role: IConstruct): void {
    acknowledge(role, managedPolicy('AmazonSSMManagedInstanceCore'), REASONS.ssmInstanceCore);
    acknowledge(role, 'AwsSolutions-IAM5[Action::ecs:Submit*]', REASONS.ecsAgent);
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', REASONS.ecsAgent);
  },
};
