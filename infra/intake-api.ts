import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  type IApiKey,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  LogGroupLogDestination as HttpLogGroupLogDestination,
  HttpMethod,
  type HttpStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type ApiKind, HTTP_API_DEFAULT_STAGE } from '../src/aws/manifest.ts';
import type { TypeLimits } from '../src/jobs/limits/index.ts';
import type { TenantsConfig } from '../src/jobs/tenants/index.ts';
import { nag } from './nag.ts';
import type { PayloadBucket } from './payloads.ts';
import { coreSettings, processEnvironment } from './process-environment.ts';
import type { JobQueues } from './queues.ts';
import type { Schedules } from './schedules.ts';
import type { StartScheduler } from './start-scheduler.ts';
import type { JobStoreTables } from './store.ts';
import { tailguardFunction } from './tailguard-function.ts';

/** Just under API Gateway's 29 s integration timeout (30 s on an HTTP API). */
const API_TIMEOUT = Duration.seconds(28);

/** The REST API's stage (the HTTP API serves from `$default`, without a stage path). */
export const API_STAGE = 'v1';

export interface IntakeApiProps {
  queues: JobQueues;
  store: JobStoreTables;
  scheduler: StartScheduler;
  payloads: PayloadBucket;
  schedules: Schedules;
  /** Job types accepted at intake; others are refused. Undefined: any type. */
  jobTypes?: readonly string[];
  /** Per-type limits `GET /stats` shows, with the slots held now. @default none */
  typeLimits?: TypeLimits;
  /** Tenants' settings from the props: intake keeps their caps on waiting jobs, the `/tenants` routes show them. @default none */
  tenants?: TenantsConfig;
  /** Per-tenant windows intake keeps (src/jobs/fairness). */
  fairness: { windowPerWeight: number };
  /** `rest`: API Gateway REST API; `http`: API Gateway HTTP API (IAM auth only). @default 'rest' */
  kind?: ApiKind;
  /** `iam`: callers sign requests with SigV4; `apiKey`: callers send an API key of the usage plan (REST only). */
  auth: 'iam' | 'apiKey';
  throttling: { rateLimit: number; burstLimit: number };
  /** Test-only: honour the `x-tailguard-fault` request header (docs/configuration.md). Never on a real deployment. */
  faultInjection?: boolean;
}

/**
 * The intake API: an API Gateway REST API or HTTP API with one Lambda per route, each granted
 * only what its route touches. Both kinds have the same routes, functions and grants; only the
 * gateway in front differs (REST: stage `v1`, IAM or API keys; HTTP: `$default` stage, IAM).
 */
export class IntakeApi extends Construct {
  readonly kind: ApiKind;
  /** The REST API (`kind: 'rest'`). */
  readonly restApi?: RestApi;
  /** The HTTP API (`kind: 'http'`). */
  readonly httpApi?: HttpApi;
  /** The HTTP API's `$default` stage (`kind: 'http'`). */
  readonly httpStage?: HttpStage;
  /** Base URL of the API, ending in `/`: `…/v1/` (REST) or the bare host (HTTP, no stage path). */
  readonly url: string;
  /** The REST API id or the HTTP API id. */
  readonly apiId: string;
  /** `v1` (REST) or `$default` (HTTP). */
  readonly stageName: string;
  readonly functions: LambdaFunction[] = [];
  readonly apiKey?: IApiKey;

  constructor(scope: Construct, id: string, props: IntakeApiProps) {
    super(scope, id);
    const { queues, store, scheduler, payloads } = props;
    const core = coreSettings(props);
    this.kind = props.kind ?? 'rest';
    if (this.kind === 'http' && props.auth === 'apiKey') {
      throw new Error(
        "Tailguard api.kind 'http' (tailguard:apiKind=http) cannot use api.auth 'apiKey' (tailguard:apiAuth=apiKey): " +
          "API keys and usage plans exist only on REST APIs. Keep api.kind 'rest' for API keys, or use IAM auth with the HTTP API.",
      );
    }
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    let addMethod: RouteAdder;
    if (this.kind === 'rest') {
      const rest = restApi(this, props, accessLogs);
      ({ api: this.restApi, apiKey: this.apiKey, addMethod } = rest);
      this.url = rest.api.url;
      this.apiId = rest.api.restApiId;
      this.stageName = rest.api.deploymentStage.stageName;
    } else {
      const http = httpApi(this, props, accessLogs);
      ({ api: this.httpApi, stage: this.httpStage, addMethod } = http);
      this.url = http.stage.url;
      this.apiId = http.api.apiId;
      this.stageName = http.stage.stageName;
    }

    const paths = new Set<string>();
    /** One route: its own function, behind the API's authorization. */
    const route = (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      path: string,
      handlerDir: string,
      description: string,
      environment = processEnvironment(this, 'api', core),
    ) => {
      // API Gateway gives up on an integration at 29 s: a request should not die in its function first.
      const fn = tailguardFunction(this, handlerDir, { handlerDir, description, environment, timeout: API_TIMEOUT });
      addMethod(method, path, fn);
      paths.add(path);
      this.functions.push(fn);
      return fn;
    };
    /** Lets a function start jobs: write the job, send to the job queues or the start scheduler. */
    const canEnqueue = (fn: LambdaFunction) => {
      store.grantJobs(fn, 'read', 'write');
      queues.grantSend(fn);
      scheduler.requests.grantSendMessages(fn);
    };

    const tenants = { config: props.tenants ?? {} };
    const intakeEnvironment = processEnvironment(this, 'submitJob', {
      ...core,
      tenants,
      fairness: props.fairness,
      payloads: payloads.settings(),
      intake: {
        ...(props.jobTypes && { jobTypes: props.jobTypes }),
        faultInjection: props.faultInjection,
      },
    });
    const submit = route(
      'POST',
      '/jobs',
      'submit-job',
      'POST /jobs: validates, records and enqueues a job',
      intakeEnvironment,
    );
    const submitBatch = route(
      'POST',
      '/jobs/batch',
      'submit-batch',
      'POST /jobs/batch: up to 1,000 jobs in few writes',
      intakeEnvironment,
    );
    /** Lets a function submit as the intake does: through its tenant's window and `maxQueued`. */
    const canSubmit = (fn: LambdaFunction) => {
      canEnqueue(fn);
      // The tenants' windows, and the held jobs a release reads back.
      if (props.fairness.windowPerWeight > 0) {
        store.grantCoordination(fn, 'windows');
        store.grantJobs(fn, 'listByStatus');
      }
      // Any tenant may be given a cap at run time: its settings are read, its count kept.
      store.grantCoordination(fn, 'tenantSettings', 'queuedCounts');
    };
    for (const fn of [submit, submitBatch]) {
      canSubmit(fn);
      store.grantIdempotencyKeys(fn);
      payloads.grant(fn, 'storePayloads', 'readPayloads');
    }
    store.grantJobs(submitBatch, 'writeMany');
    payloads.grant(
      route(
        'POST',
        '/uploads',
        'create-upload',
        'POST /uploads: a presigned PUT for a payload too large for a request',
        processEnvironment(this, 'createUpload', { payloads: payloads.settings() }),
      ),
      'issueUploads',
    );

    const getJob = route(
      'GET',
      '/jobs/{id}',
      'get-job',
      'GET /jobs/{id}: reads a job',
      processEnvironment(this, 'getJob', { ...core, payloads: payloads.settings() }),
    );
    store.grantJobs(getJob, 'read');
    payloads.grant(getJob, 'readResults');
    const listJobs = route(
      'GET',
      '/jobs',
      'list-jobs',
      'GET /jobs: lists jobs in one state',
      processEnvironment(this, 'listJobs', core),
    );
    store.grantJobs(listJobs, 'listByStatus', 'readMany');
    // Running jobs are the ones live workers report; a schedule's jobs are in its fire log.
    store.grantWorkers(listJobs, 'list');
    store.grantCoordination(listJobs, 'readScheduleFires');

    const cancel = route(
      'POST',
      '/jobs/{id}/cancel',
      'cancel-job',
      'POST /jobs/{id}/cancel: cancels a job',
      processEnvironment(this, 'cancelJob', { ...core, schedules: { groupName: scheduler.groupName } }),
    );
    store.grantJobs(cancel, 'read', 'write');
    store.grantCoordination(cancel, 'queuedCounts');
    cancel.addToRolePolicy(
      new PolicyStatement({ actions: ['scheduler:DeleteSchedule'], resources: [scheduler.scheduleArns()] }),
    );
    nag.scheduleGroupWildcard(cancel);

    // Workflows (docs/workflows.md): items in the jobs table; roots submitted as POST /jobs submits.
    const createWorkflow = route(
      'POST',
      '/workflows',
      'create-workflow',
      'POST /workflows: validates a DAG of steps, records it, submits its roots',
      intakeEnvironment,
    );
    canSubmit(createWorkflow);
    store.grantIdempotencyKeys(createWorkflow);
    store.grantJobs(createWorkflow, 'writeMany');
    payloads.grant(createWorkflow, 'storePayloads');
    store.grantJobs(
      route('GET', '/workflows/{id}', 'get-workflow', 'GET /workflows/{id}: reads a workflow and its steps'),
      'read',
      'readMany',
    );
    const cancelWorkflow = route(
      'POST',
      '/workflows/{id}/cancel',
      'cancel-workflow',
      "POST /workflows/{id}/cancel: cancels a workflow's steps",
      processEnvironment(this, 'cancelJob', { ...core, schedules: { groupName: scheduler.groupName } }),
    );
    store.grantJobs(cancelWorkflow, 'read', 'readMany', 'write');
    store.grantCoordination(cancelWorkflow, 'queuedCounts');
    cancelWorkflow.addToRolePolicy(
      new PolicyStatement({ actions: ['scheduler:DeleteSchedule'], resources: [scheduler.scheduleArns()] }),
    );
    nag.scheduleGroupWildcard(cancelWorkflow);

    store.grantJobs(route('GET', '/dlq', 'list-dead-jobs', 'GET /dlq: lists dead jobs'), 'listByStatus');
    canEnqueue(route('POST', '/dlq/{id}/requeue', 'requeue-dead-job', 'POST /dlq/{id}/requeue: re-runs a dead job'));
    const redrive = route(
      'POST',
      '/dlq/redrive',
      'redrive-dlq',
      "POST /dlq/redrive: requeues one queue's dead letters",
    );
    canEnqueue(redrive);
    store.grantJobs(redrive, 'listByStatus');
    queues.grantRedrive(redrive);
    queues.grantReadDepth(redrive);

    const schedulesEnvironment = processEnvironment(this, 'schedulesApi', {
      ...core,
      intake: { ...(props.jobTypes && { jobTypes: props.jobTypes }) },
      schedules: { groupName: scheduler.groupName },
      recurringSchedules: props.schedules.settings(),
    });
    const scheduleRoutes = [
      ['POST', '/schedules', 'create-schedule', 'POST /schedules: creates a recurring schedule'],
      ['GET', '/schedules', 'list-schedules', 'GET /schedules: lists the recurring schedules'],
      ['GET', '/schedules/{name}', 'get-schedule', 'GET /schedules/{name}: reads a schedule and its fires'],
      ['DELETE', '/schedules/{name}', 'delete-schedule', 'DELETE /schedules/{name}: deletes a schedule'],
      ['POST', '/schedules/{name}/pause', 'pause-schedule', 'POST /schedules/{name}/pause: pauses a schedule'],
      ['POST', '/schedules/{name}/resume', 'resume-schedule', 'POST /schedules/{name}/resume: resumes a schedule'],
    ] as const;
    for (const [method, path, handlerDir, description] of scheduleRoutes) {
      props.schedules.grantManage(route(method, path, handlerDir, description, schedulesEnvironment), store);
    }

    const tenantsEnvironment = processEnvironment(this, 'tenantsApi', { coordination: core.coordination, tenants });
    const tenantRoutes = [
      ['GET', '/tenants', 'list-tenants', 'GET /tenants: every tenant with settings of its own, resolved'],
      ['GET', '/tenants/{tenant}', 'get-tenant', "GET /tenants/{tenant}: a tenant's settings as they apply"],
      ['PUT', '/tenants/{tenant}', 'put-tenant', "PUT /tenants/{tenant}: stores a tenant's settings"],
      ['DELETE', '/tenants/{tenant}', 'delete-tenant', "DELETE /tenants/{tenant}: drops a tenant's stored settings"],
    ] as const;
    for (const [method, path, handlerDir, description] of tenantRoutes) {
      store.grantCoordination(route(method, path, handlerDir, description, tenantsEnvironment), 'manageTenants');
    }

    const stats = route(
      'GET',
      '/stats',
      'get-stats',
      'GET /stats: queue depths, job counts, live workers and per-type limits',
      processEnvironment(this, 'getStats', { ...core, typeLimits: { limits: props.typeLimits ?? {} } }),
    );
    store.grantJobs(stats, 'listByStatus');
    store.grantWorkers(stats, 'list');
    store.grantCoordination(
      stats,
      'readCheckRecords',
      // Each tenant's waiting jobs are read from the fair dispatcher's windows.
      'readWindows',
      ...(Object.keys(props.typeLimits ?? {}).length > 0 ? (['readLimits'] as const) : []),
    );
    queues.grantReadDepth(stats);
    const health = route('GET', '/health', 'health', 'GET /health: checks the table and queues');
    store.grantJobs(health, 'read');
    queues.grantReadDepth(health);
    // Touches nothing: the document is built from the code and names the accepted job types.
    route(
      'GET',
      '/openapi.json',
      'openapi',
      'GET /openapi.json: the API description',
      processEnvironment(this, 'openApi', { intake: { ...(props.jobTypes && { jobTypes: props.jobTypes }) } }),
    );

    // Any other method on a declared path: a 405 that says so, not the gateway's 403 (REST) or 404 (HTTP).
    const notAllowed = tailguardFunction(this, 'method-not-allowed', {
      handlerDir: 'method-not-allowed',
      description: 'ANY on a declared path: 405 naming the methods it takes',
      environment: {},
      timeout: API_TIMEOUT,
    });
    for (const path of paths) addMethod('ANY', path, notAllowed);
    this.functions.push(notAllowed);
  }

  /**
   * The REST API, under the name it had before the HTTP API option; throws with `kind: 'http'`.
   * @deprecated use `restApi` (or `httpApi`)
   */
  get api(): RestApi {
    if (!this.restApi) throw new Error("intake.api is the REST API; with api.kind 'http' use intake.httpApi");
    return this.restApi;
  }
}

/** Puts `fn` behind `method path` on the API. */
type RouteAdder = (method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'ANY', path: string, fn: LambdaFunction) => unknown;

/** The REST API (stage `v1`, IAM or API keys), and how to add a route to it. */
function restApi(scope: Construct, props: IntakeApiProps, accessLogs: LogGroup) {
  const api = new RestApi(scope, 'Api', {
    description: 'Tailguard job intake',
    deployOptions: {
      stageName: API_STAGE,
      throttlingRateLimit: props.throttling.rateLimit,
      throttlingBurstLimit: props.throttling.burstLimit,
      loggingLevel: MethodLoggingLevel.OFF,
      tracingEnabled: true,
      // Access logs carry the request line and status, never bodies (payloads stay out of logs).
      accessLogDestination: new LogGroupLogDestination(accessLogs),
      accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
    },
    defaultMethodOptions:
      props.auth === 'iam'
        ? { authorizationType: AuthorizationType.IAM }
        : { authorizationType: AuthorizationType.NONE, apiKeyRequired: true },
    cloudWatchRole: false,
  });
  let apiKey: IApiKey | undefined;
  if (props.auth === 'apiKey') {
    const plan = api.addUsagePlan('UsagePlan', {
      description: 'Tailguard API clients',
      throttle: { rateLimit: props.throttling.rateLimit, burstLimit: props.throttling.burstLimit },
    });
    plan.addApiStage({ stage: api.deploymentStage });
    apiKey = api.addApiKey('DefaultKey', {
      description: 'First Tailguard API key; add more to the usage plan',
    });
    plan.addApiKey(apiKey);
    nag.apiKeyAuth(api);
  }
  nag.restApi(api);
  // Created before the routes, as they always were: the deployment's logical id hashes the order
  // in which resources were added, so an upgraded stack keeps its deployment.
  for (const path of ['/jobs', '/jobs/{id}', '/dlq']) api.root.resourceForPath(path);
  const addMethod: RouteAdder = (method, path, fn) =>
    api.root.resourceForPath(path).addMethod(method, new LambdaIntegration(fn));
  return { api, apiKey, addMethod };
}

/**
 * The HTTP API: every route behind the IAM authorizer (SigV4, as on the REST API), served from
 * the `$default` stage with the same throttling and access logs; functions get payload format 2.0.
 */
function httpApi(scope: Construct, props: IntakeApiProps, accessLogs: LogGroup) {
  const api = new HttpApi(scope, 'HttpApi', {
    description: 'Tailguard job intake',
    defaultAuthorizer: new HttpIamAuthorizer(),
    // The stage below is the default one, with throttling and access logs.
    createDefaultStage: false,
  });
  const stage = api.addStage('DefaultStage', {
    stageName: HTTP_API_DEFAULT_STAGE,
    autoDeploy: true,
    throttle: { rateLimit: props.throttling.rateLimit, burstLimit: props.throttling.burstLimit },
    // The request line, caller and status, never bodies (payloads stay out of logs); HTTP API variables.
    accessLogSettings: {
      destination: new HttpLogGroupLogDestination(accessLogs),
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: AccessLogField.contextRequestId(),
          ip: AccessLogField.contextIdentitySourceIp(),
          caller: AccessLogField.contextIdentityCaller(),
          user: AccessLogField.contextIdentityUser(),
          requestTime: AccessLogField.contextRequestTime(),
          httpMethod: AccessLogField.contextHttpMethod(),
          routeKey: '$context.routeKey',
          status: AccessLogField.contextStatus(),
          protocol: AccessLogField.contextProtocol(),
          responseLength: AccessLogField.contextResponseLength(),
          integrationError: '$context.integrationErrorMessage',
        }),
      ),
    },
  });
  nag.httpApi(api);
  const addMethod: RouteAdder = (method, path, fn) =>
    api.addRoutes({
      path,
      methods: [HttpMethod[method]],
      integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn),
    });
  return { api, stage, addMethod };
}
