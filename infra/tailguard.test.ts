import { Match, Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../src/aws/environment/index.ts';
import { BY_STATUS_INDEX } from '../src/jobs/store/index.ts';
import { synthTailguard, testApp } from '../test/helpers/test-app.ts';
import { cfnLintErrors } from './cfn-lint.ts';
import { MAX_RECEIVE_COUNT } from './queues.ts';
import { MANIFEST_DESCRIPTION } from './tailguard.ts';

/** 24 routes' functions, one for methods a path does not take, the start scheduler, the fire function, the detector, the reaper and its check reviewer. */
const FUNCTIONS = 31;

let rest: ReturnType<typeof testApp>;
let template: Template;

beforeAll(() => {
  rest = testApp();
  template = Template.fromStack(rest.stack);
});

describe('Tailguard (the demo stack: both classes on ECS)', () => {
  it('has a queue and a DLQ per priority and capacity class, encrypted, with redrive', () => {
    // Assess: 4 priorities × 2 classes, each with its DLQ.
    // + the start scheduler's queue, the checks queue, the schedules' fire queue, and their DLQs
    template.resourceCountIs('AWS::SQS::Queue', 22);
    const workQueues = template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } });
    expect(Object.keys(workQueues)).toHaveLength(11);
    for (const [logicalId, queue] of Object.entries(workQueues).filter(([id]) =>
      /^TailguardQueues(cpu|gpu)/.test(id),
    )) {
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 60,
        // SQS's longest: a message outlives any backlog it can (longer waits get a fresh one, see the reaper).
        MessageRetentionPeriod: 14 * 86_400,
        RedrivePolicy: { maxReceiveCount: MAX_RECEIVE_COUNT },
      });
      expect(logicalId).toMatch(/^TailguardQueues(cpu|gpu)(critical|high|default|low)/);
    }
    // Checks on immediate starts' messages come due after the reaper's grace (5 minutes by default).
    template.hasResourceProperties('AWS::SQS::Queue', { DelaySeconds: 300, RedrivePolicy: Match.anyValue() });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 100 });
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      22,
    );
  });

  it('has a jobs table with one sparse status index and an idempotency table with TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: BY_STATUS_INDEX,
          KeySchema: [
            { AttributeName: 'statusShard', KeyType: 'HASH' },
            { AttributeName: 'updatedAt', KeyType: 'RANGE' },
          ],
        }),
      ],
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('keeps queues and tables when the stack is deleted from a real account', () => {
    for (const type of ['AWS::SQS::Queue', 'AWS::DynamoDB::GlobalTable']) {
      for (const resource of Object.values(template.findResources(type)))
        expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('runs one Node.js 22 function per route, one for methods a path does not take, the start scheduler, the schedules’ fires, the straggler detector, the reaper and its check reviewer', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs22.x', Architectures: ['arm64'] },
      FUNCTIONS,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.reaperGraceSeconds]: '300', [ENV.reaperIntervalSeconds]: '60' }),
      },
    });
    template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' }, 2);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    // 25 routes, and ANY on each of their 20 paths (405).
    template.resourceCountIs('AWS::ApiGateway::Method', 45);
    for (const path of [
      'jobs',
      '{id}',
      'cancel',
      'dlq',
      'requeue',
      'redrive',
      'stats',
      'health',
      'openapi.json',
      'schedules',
      '{name}',
      'pause',
      'resume',
      'uploads',
      'tenants',
      '{tenant}',
      'workflows',
    ]) {
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: path });
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' }, 45);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      StageName: 'v1',
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 })],
    });
  });

  it('keeps large payloads and results in an encrypted, private, TLS-only bucket whose objects expire', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: ['payloads/', 'uploads/', 'results/'].map((prefix) =>
          Match.objectLike({ Prefix: prefix, Status: 'Enabled', ExpirationInDays: 30 }),
        ),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.payloadInlineBytes]: '262144', [ENV.payloadMaxBytes]: '1073741824' }),
      },
    });
  });

  it('gives workers a writable /tmp for downloaded payloads beside their read-only root filesystem', () => {
    // Assess
    for (const compatibility of [['FARGATE'], ['EC2']]) {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        RequiresCompatibilities: compatibility,
        Volumes: [{ Name: 'scratch' }],
        ContainerDefinitions: [
          Match.objectLike({
            ReadonlyRootFilesystem: true,
            MountPoints: [{ SourceVolume: 'scratch', ContainerPath: '/tmp', ReadOnly: false }],
          }),
        ],
      });
    }
  });

  it('gives EventBridge Scheduler a role of its own', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      },
    });
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
  });

  it('accepts at intake exactly the job types the workers register', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.jobTypes]: 'noop,echo,whoami,collect,split,square,sum,sleep,flaky,fail,poison',
        }),
      },
    });
  });

  it('outputs the API URL, the dashboard URL and one manifest for tools, keyed by the construct id', () => {
    template.hasOutput('TailguardApiUrl', {});
    template.hasOutput('TailguardDashboardUrl', {});
    template.hasOutput('TailguardManifest', { Description: MANIFEST_DESCRIPTION });
  });

  it('runs cpu workers on Fargate from the repository image, non-root-ready and read-only', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '1024',
      Memory: '2048',
      ContainerDefinitions: [
        Match.objectLike({
          ReadonlyRootFilesystem: true,
          StopTimeout: 120,
          Environment: Match.arrayWith([
            { Name: ENV.workerCapacity, Value: 'cpu' },
            { Name: ENV.workerShutdownGraceSeconds, Value: '100' },
          ]),
        }),
      ],
    });
    template.hasResourceProperties('AWS::ECS::Service', { LaunchType: 'FARGATE', DesiredCount: 1 });
  });

  it('runs gpu workers on GPU instances through a capacity provider, reserving a GPU per task, from zero', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'g5.xlarge',
        ImageId: { Ref: Match.stringLikeRegexp('gpu') },
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '0',
      MaxSize: '4',
      NewInstancesProtectedFromScaleIn: true,
    });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: Match.objectLike({ Status: 'ENABLED' }),
        ManagedTerminationProtection: 'ENABLED',
      }),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['EC2'],
      ContainerDefinitions: [Match.objectLike({ ResourceRequirements: [{ Type: 'GPU', Value: '1' }] })],
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 0,
      CapacityProviderStrategy: [Match.objectLike({ Weight: 1 })],
    });
  });

  it('scales each service on work per task (target tracking) and wakes an idle service from zero', () => {
    const targetTracking = template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', {
      Properties: { PolicyType: 'TargetTrackingScaling' },
    });
    expect(Object.keys(targetTracking)).toHaveLength(2);
    for (const policy of Object.values(targetTracking)) {
      const metrics = policy.Properties.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification
        .Metrics as { Id: string; Expression?: string }[];
      expect(metrics.filter((m) => m.Id.startsWith('visible'))).toHaveLength(4);
      expect(metrics.find((m) => m.Id === 'workPerTask')?.Expression).toMatch(/\/ MAX\(\[running, 1\]\)$/);
    }
    template.resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' }, 2);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 4 });
  });

  it('alarms on non-empty DLQs, old messages per priority, API 5xx, classes with work but no workers, and a stalled reaper', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { AlarmName: string; Threshold: number },
    );
    const named = (pattern: RegExp) => alarms.filter((a) => pattern.test(a.AlarmName));
    // The 8 job queues' DLQs and the schedules' fire DLQ.
    expect(named(/-DLQ-Queue-Message-Count-Max-Critical$/)).toHaveLength(9);
    const ageThresholds = named(/Queue-Message-Age-Max/).map((a) => a.Threshold);
    expect(ageThresholds).toEqual(expect.arrayContaining([60, 300, 900, 3600]));
    expect(named(/^Tailguard-api-Fault-Rate/)).toHaveLength(1);
    expect(named(/-Fault-Rate-Warning$/)).toHaveLength(FUNCTIONS); // one per function
    expect(named(/no-running-workers/)).toHaveLength(2);
    expect(named(/reaper-not-running/)).toHaveLength(1);
    expect(named(/reaper-stuck-jobs/).map((a) => a.Threshold)).toEqual([900]);
    expect(named(/jobs-without-message/).map((a) => a.Threshold)).toEqual([1]);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it("graphs the busiest tenants' wait and starts with one SEARCH each, no resource or alarm per tenant", () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    // The body is JSON inside JSON: quotes come escaped.
    const search = (metric: string, statistic: string) =>
      new RegExp(`SEARCH\\('\\{Tailguard,Tenant,service\\} MetricName=\\\\+"${metric}\\\\+"', '${statistic}', 60\\)`);
    expect(search('TenantEnqueueToStartMs', 'p99').test(body)).toBe(true);
    expect(search('TenantJobsStarted', 'Sum').test(body)).toBe(true);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.filter((a) => JSON.stringify(a).includes('Tenant'))).toEqual([]);
  });

  it('passes cfn-lint without errors', () => {
    expect(cfnLintErrors(template, 'Tailguard')).toEqual([]);
  });
});

describe("Tailguard with the HTTP API (api.kind 'http')", () => {
  /** The routes of the REST API in the default stack, as `METHOD /path`. */
  const ROUTES = [
    'POST /jobs',
    'POST /jobs/batch',
    'POST /uploads',
    'GET /jobs',
    'GET /jobs/{id}',
    'POST /jobs/{id}/cancel',
    'POST /workflows',
    'GET /workflows/{id}',
    'POST /workflows/{id}/cancel',
    'GET /dlq',
    'POST /dlq/{id}/requeue',
    'POST /dlq/redrive',
    'GET /stats',
    'GET /health',
    'GET /openapi.json',
    'POST /schedules',
    'GET /schedules',
    'GET /schedules/{name}',
    'DELETE /schedules/{name}',
    'POST /schedules/{name}/pause',
    'POST /schedules/{name}/resume',
    'GET /tenants',
    'GET /tenants/{tenant}',
    'PUT /tenants/{tenant}',
    'DELETE /tenants/{tenant}',
  ];
  /** Each path's other methods, answered 405 by one function. */
  const ANY_ROUTES = [...new Set(ROUTES.map((route) => route.split(' ')[1]))].map((path) => `ANY ${path}`);
  let http: ReturnType<typeof testApp>;
  let httpTemplate: Template;

  beforeAll(() => {
    http = testApp({ apiKind: 'http' });
    httpTemplate = Template.fromStack(http.stack);
  });

  it('replaces the REST API with an HTTP API serving the same routes, each behind the IAM authorizer', () => {
    httpTemplate.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    httpTemplate.resourceCountIs('AWS::ApiGateway::Method', 0);
    httpTemplate.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    httpTemplate.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    httpTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const routes = Object.values(httpTemplate.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties as { RouteKey: string; AuthorizationType?: string },
    );
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...ROUTES, ...ANY_ROUTES].sort());
    // IAM on every route: an unsigned request never reaches a function.
    expect(routes.filter((r) => r.AuthorizationType !== 'AWS_IAM')).toEqual([]);
  });

  it('gives each route its own function through a payload-2.0 proxy integration, invokable only from that route', () => {
    const integrations = Object.values(httpTemplate.findResources('AWS::ApiGatewayV2::Integration')).map(
      (i) => i.Properties as { IntegrationType: string; PayloadFormatVersion: string; IntegrationUri: unknown },
    );
    expect(integrations).toHaveLength(ROUTES.length + ANY_ROUTES.length);
    for (const integration of integrations) {
      expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
    const targets = new Set(integrations.map((i) => JSON.stringify(i.IntegrationUri)));
    expect(targets.size).toBe(ROUTES.length + 1);
    const permissions = Object.values(httpTemplate.findResources('AWS::Lambda::Permission'))
      .map((p) => p.Properties as { Principal: string; SourceArn: unknown })
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(permissions).toHaveLength(ROUTES.length + ANY_ROUTES.length);
    // Each function may be invoked by this API on its own route's path only, not on the whole API.
    const paths = permissions.map((p) => {
      const parts = (p.SourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      return String(parts.at(-1)).replace(/^\/\*\/\*/, '');
    });
    expect(paths.sort()).toEqual([...ROUTES, ...ANY_ROUTES].map((route) => route.split(' ')[1]).sort());
  });

  it('serves from the $default stage with the same throttling and access logs', () => {
    httpTemplate.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    httpTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 }),
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context.routeKey') },
    });
  });

  it('grants every function exactly what it is granted behind the REST API', () => {
    const policies = (t: Template) =>
      Object.fromEntries(
        Object.entries(t.findResources('AWS::IAM::Policy')).map(([id, p]) => [id, p.Properties.PolicyDocument]),
      );
    expect(policies(httpTemplate)).toEqual(policies(template));
    httpTemplate.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs22.x' }, FUNCTIONS);
  });

  it('outputs a URL without a stage path, and says so in the manifest', () => {
    // https://<api id>.execute-api.<region>.<suffix>/: routes resolve from the root.
    expect(http.stack.resolve(http.tailguard.intake.url)).toEqual({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: expect.stringMatching(/HttpApi/) },
          '.execute-api.eu-west-1.',
          { Ref: 'AWS::URLSuffix' },
          '/',
        ],
      ],
    });
    expect(http.tailguard.manifest()).toMatchObject({ apiStage: '$default', apiKind: 'http', apiAuth: 'iam' });
    expect(rest.tailguard.manifest()).toMatchObject({ apiKind: 'rest' });
    expect(rest.stack.resolve(rest.tailguard.manifest().apiStage)).toEqual({ Ref: expect.stringMatching(/Stage/) });
    httpTemplate.hasOutput('TailguardApiUrl', {});
  });

  it("alarms on the HTTP API's 5xx rate, under the REST API's alarm name", () => {
    const alarms = Object.values(httpTemplate.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName as string,
    );
    expect(alarms.filter((name) => /^Tailguard-api-Fault-Rate/.test(name))).toHaveLength(1);
  });

  it('passes cfn-lint without errors', () => {
    expect(cfnLintErrors(httpTemplate, 'TailguardHttp')).toEqual([]);
  });

  it('refuses API keys, which only a REST API has, naming both settings', () => {
    expect(() => testApp({ apiKind: 'http', apiAuth: 'apiKey' })).toThrow(
      /api\.kind 'http'.*cannot use api\.auth 'apiKey'.*only on REST APIs/,
    );
  });

  it("keeps the REST API's intake.api for stacks that extend it, and refuses it on an HTTP API", () => {
    expect(rest.tailguard.intake.api).toBe(rest.tailguard.intake.restApi);
    expect(http.tailguard.intake.restApi).toBeUndefined();
    expect(() => http.tailguard.intake.api).toThrow(/intake\.httpApi/);
  });
});

describe('Tailguard construct options', () => {
  const image = ContainerImage.fromRegistry('public.ecr.aws/team/worker:1');

  it('keeps the 0.1 status index beside the new one while a deployment migrates (docs/migration.md)', () => {
    const indexes = (template: Template) =>
      Object.values(template.findResources('AWS::DynamoDB::GlobalTable'))
        .flatMap((table) => table.Properties.GlobalSecondaryIndexes ?? [])
        .map((index: { IndexName: string }) => index.IndexName);
    expect(indexes(synthTailguard({ local: true, keepLegacyStatusIndex: true }))).toEqual([
      BY_STATUS_INDEX,
      'byStatus',
    ]);
    expect(indexes(synthTailguard({ local: true }))).toEqual([BY_STATUS_INDEX]);
  });

  it('deploys only the serverless part on an emulator (local), whatever pools are given', () => {
    const template = synthTailguard({ local: true, workers: { cpu: { image } } });
    template.resourceCountIs('AWS::ECS::Service', 0);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs22.x' }, FUNCTIONS);
    template.hasOutput('JobsManifest', {});
  });

  it('runs only the classes given a pool, from the team image and command', () => {
    const template = synthTailguard({ workers: { cpu: { image, command: ['node', 'worker.js'], concurrency: 3 } } });
    template.resourceCountIs('AWS::ECS::Service', 1);
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Image: 'public.ecr.aws/team/worker:1',
          Command: ['node', 'worker.js'],
          Environment: Match.arrayWith([{ Name: ENV.workerConcurrency, Value: '3' }]),
        }),
      ],
    });
  });

  it('deploys the schedules it is given in Tailguard’s group, firing to the fire queue with retries and a DLQ, and refuses a bad one', () => {
    // Act
    const template = synthTailguard({
      local: true,
      schedules: [
        { name: 'weekly-report', cron: 'cron(0 9 ? * MON *)', timezone: 'Europe/Berlin', job: { type: 'report' } },
      ],
    });
    // Assess
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'recurring-weekly-report',
      GroupName: { Ref: Match.stringLikeRegexp('StartSchedulerGroup') },
      ScheduleExpression: 'cron(0 9 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SchedulesFires'), 'Arn'] },
        Input: Match.serializedJson(
          Match.objectLike({ schedule: 'weekly-report', overlap: 'skip', job: Match.objectLike({ type: 'report' }) }),
        ),
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SchedulesFiresDlq'), 'Arn'] } },
      }),
    });
    expect(() =>
      synthTailguard({
        local: true,
        schedules: [{ name: 'bad', cron: 'cron(99 * * * ? *)', job: { type: 'report' } }],
      }),
    ).toThrow('"bad" is invalid: cron: minutes: 99 is outside 0-59');
  });

  it('accepts any job type when no allow-list is given', () => {
    const variables = Object.values(synthTailguard({ local: true }).findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Environment?.Variables ?? {},
    );
    expect(variables.filter((v) => ENV.jobTypes in v)).toEqual([]);
  });

  it('takes settings from props over tailguard:<setting> context, and names a bad one', () => {
    const template = synthTailguard(
      { local: true, reaper: { graceSeconds: 42 } },
      { 'tailguard:reaperGraceSeconds': '7', 'tailguard:reaperIntervalSeconds': '30' },
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.reaperGraceSeconds]: '42', [ENV.reaperIntervalSeconds]: '30' }),
      },
    });
    expect(() => synthTailguard({ local: true, speculation: { budget: 2 } })).toThrow(/tailguard:speculationBudget/);
  });
});
