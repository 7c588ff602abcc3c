import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  type IApiKey,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TypeLimits } from '../src/jobs/limits/index.ts';
import { nag } from './nag.ts';
import { coreSettings, processEnvironment } from './process-environment.ts';
import type { JobQueues } from './queues.ts';
import type { StartScheduler } from './start-scheduler.ts';
import type { JobStoreTables } from './store.ts';
import { tailguardFunction } from './tailguard-function.ts';

/** Just under API Gateway's 29 s integration timeout. */
const API_TIMEOUT = Duration.seconds(28);

export const API_STAGE = 'v1';

export interface IntakeApiProps {
  queues: JobQueues;
  store: JobStoreTables;
  scheduler: StartScheduler;
  /** Job types accepted at intake; others are refused. Undefined: any type. */
  jobTypes?: readonly string[];
  /** Per-type limits `GET /stats` shows, with the slots held now. @default none */
  typeLimits?: TypeLimits;
  /** `iam`: callers sign requests with SigV4; `apiKey`: callers send an API key of the usage plan. */
  auth: 'iam' | 'apiKey';
  throttling: { rateLimit: number; burstLimit: number };
  /** Test-only: honour the `x-tailguard-fault` request header (docs/configuration.md). Never on a real deployment. */
  faultInjection?: boolean;
}

/**
 * The HTTP API: API Gateway REST API with one Lambda per route, each granted only what its route
 * touches.
 */
export class IntakeApi extends Construct {
  readonly api: RestApi;
  readonly functions: LambdaFunction[] = [];
  readonly apiKey?: IApiKey;

  constructor(scope: Construct, id: string, props: IntakeApiProps) {
    super(scope, id);
    const { queues, store, scheduler } = props;
    const core = coreSettings(props);
    this.api = new RestApi(this, 'Api', {
      description: 'Tailguard job intake',
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: props.throttling.rateLimit,
        throttlingBurstLimit: props.throttling.burstLimit,
        loggingLevel: MethodLoggingLevel.OFF,
        tracingEnabled: true,
        // Access logs carry the request line and status, never bodies (payloads stay out of logs).
        accessLogDestination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', {
            retention: RetentionDays.ONE_MONTH,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        ),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
      defaultMethodOptions:
        props.auth === 'iam'
          ? { authorizationType: AuthorizationType.IAM }
          : { authorizationType: AuthorizationType.NONE, apiKeyRequired: true },
      cloudWatchRole: false,
    });
    if (props.auth === 'apiKey') {
      const plan = this.api.addUsagePlan('UsagePlan', {
        description: 'Tailguard API clients',
        throttle: { rateLimit: props.throttling.rateLimit, burstLimit: props.throttling.burstLimit },
      });
      plan.addApiStage({ stage: this.api.deploymentStage });
      this.apiKey = this.api.addApiKey('DefaultKey', {
        description: 'First Tailguard API key; add more to the usage plan',
      });
      plan.addApiKey(this.apiKey);
      nag.apiKeyAuth(this.api);
    }
    nag.restApi(this.api);
    const jobs = this.api.root.addResource('jobs');
    const job = jobs.addResource('{id}');
    const dlq = this.api.root.addResource('dlq');

    const route = (
      resource: IResource,
      method: string,
      handlerDir: string,
      description: string,
      environment = processEnvironment(this, 'api', core),
    ) => {
      // API Gateway gives up on an integration at 29 s: a request should not die in its function first.
      const fn = tailguardFunction(this, handlerDir, { handlerDir, description, environment, timeout: API_TIMEOUT });
      resource.addMethod(method, new LambdaIntegration(fn));
      this.functions.push(fn);
      return fn;
    };
    /** Lets a function start jobs: write the job, send to the job queues or the start scheduler. */
    const canEnqueue = (fn: LambdaFunction) => {
      store.grantJobs(fn, 'read', 'write');
      queues.grantSend(fn);
      scheduler.requests.grantSendMessages(fn);
    };

    const intakeEnvironment = processEnvironment(this, 'submitJob', {
      ...core,
      intake: {
        ...(props.jobTypes && { jobTypes: props.jobTypes }),
        faultInjection: props.faultInjection,
      },
    });
    const submit = route(
      jobs,
      'POST',
      'submit-job',
      'POST /jobs: validates, records and enqueues a job',
      intakeEnvironment,
    );
    const submitBatch = route(
      jobs.addResource('batch'),
      'POST',
      'submit-batch',
      'POST /jobs/batch: up to 1,000 jobs in few writes',
      intakeEnvironment,
    );
    for (const fn of [submit, submitBatch]) {
      canEnqueue(fn);
      store.grantIdempotencyKeys(fn);
    }
    store.grantJobs(submitBatch, 'writeMany');

    store.grantJobs(route(job, 'GET', 'get-job', 'GET /jobs/{id}: reads a job'), 'read');
    const listJobs = route(
      jobs,
      'GET',
      'list-jobs',
      'GET /jobs: lists jobs in one state',
      processEnvironment(this, 'listJobs', core),
    );
    store.grantJobs(listJobs, 'listByStatus', 'readMany');
    // Running jobs are the ones live workers report.
    store.grantWorkers(listJobs, 'list');

    const cancel = route(
      job.addResource('cancel'),
      'POST',
      'cancel-job',
      'POST /jobs/{id}/cancel: cancels a job',
      processEnvironment(this, 'cancelJob', { ...core, schedules: { groupName: scheduler.groupName } }),
    );
    store.grantJobs(cancel, 'read', 'write');
    cancel.addToRolePolicy(
      new PolicyStatement({ actions: ['scheduler:DeleteSchedule'], resources: [scheduler.scheduleArns()] }),
    );
    nag.scheduleGroupWildcard(cancel);

    store.grantJobs(route(dlq, 'GET', 'list-dead-jobs', 'GET /dlq: lists dead jobs'), 'listByStatus');
    canEnqueue(
      route(
        dlq.addResource('{id}').addResource('requeue'),
        'POST',
        'requeue-dead-job',
        'POST /dlq/{id}/requeue: re-runs a dead job',
      ),
    );
    const redrive = route(
      dlq.addResource('redrive'),
      'POST',
      'redrive-dlq',
      "POST /dlq/redrive: requeues one queue's dead letters",
    );
    canEnqueue(redrive);
    store.grantJobs(redrive, 'listByStatus');
    queues.grantRedrive(redrive);
    queues.grantReadDepth(redrive);

    const stats = route(
      this.api.root.addResource('stats'),
      'GET',
      'get-stats',
      'GET /stats: queue depths, job counts, live workers and per-type limits',
      processEnvironment(this, 'getStats', { ...core, typeLimits: { limits: props.typeLimits ?? {} } }),
    );
    store.grantJobs(stats, 'listByStatus');
    store.grantWorkers(stats, 'list');
    if (Object.keys(props.typeLimits ?? {}).length > 0) store.grantCoordination(stats, 'readLimits');
    queues.grantReadDepth(stats);
    const health = route(
      this.api.root.addResource('health'),
      'GET',
      'health',
      'GET /health: checks the table and queues',
    );
    store.grantJobs(health, 'read');
    queues.grantReadDepth(health);
    // Touches nothing: the document is built from the code.
    route(this.api.root.addResource('openapi.json'), 'GET', 'openapi', 'GET /openapi.json: the API description');
  }
}
