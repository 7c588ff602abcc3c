import packageJson from '../../../package.json' with { type: 'json' };
import { JobListQuerySchema } from '../../jobs/admin/index.ts';
import { DeadLetterQuerySchema, RedriveRequestSchema } from '../../jobs/dead-letters/index.ts';
import {
  JobBatchEnvelopeSchema,
  JobRequestSchema,
  MAX_BATCH_JOBS,
  UploadRequestSchema,
} from '../../jobs/intake/index.ts';
import { TenantIdSchema } from '../../jobs/model/index.ts';
import { ScheduleNameSchema, ScheduleRequestSchema } from '../../jobs/schedules/index.ts';
import { TenantSettingsSchema } from '../../jobs/tenants/index.ts';
import { WorkflowRequestSchema } from '../../jobs/workflows/index.ts';
import { JobIdSchema } from '../job-id.ts';
import {
  type JsonSchema,
  jsonSchema,
  namedSchemas,
  type Parameter,
  queryParameters,
  schemaRef,
} from './json-schema.ts';
import {
  BatchResultSchema,
  CancelViewSchema,
  ErrorBodySchema,
  GatewayErrorSchema,
  HealthSchema,
  JobPageSchema,
  JobViewSchema,
  RedriveResultSchema,
  ScheduleDeletedSchema,
  SchedulePageSchema,
  ScheduleViewSchema,
  StatsSchema,
  TenantDeletedSchema,
  TenantPageSchema,
  TenantViewSchema,
  UploadSchema,
  WorkflowCreatedSchema,
  WorkflowViewSchema,
} from './response-schemas.ts';

/** Where `npm run openapi` writes the document, from the repository root. */
export const OPENAPI_FILE = 'docs/openapi.json';

type Content = { 'application/json': { schema: JsonSchema } };
interface Response {
  description: string;
  content: Content;
}
interface Operation {
  operationId: string;
  summary: string;
  parameters?: Parameter[];
  requestBody?: { required: true; content: Content };
  responses: Record<string, Response>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string; description: string }[];
  /** Path (API Gateway's form, `/jobs/{id}`) → lower-case HTTP method → operation. */
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

const json = (schema: JsonSchema): Content => ({ 'application/json': { schema } });
const answer = (description: string, id: string): Response => ({ description, content: json(schemaRef(id)) });
const error = (description: string): Response => answer(description, 'Error');
const body = (id: string) => ({ required: true as const, content: json(schemaRef(id)) });

const gateway = (description: string): Response =>
  answer(`from API Gateway, not the route: ${description}`, 'GatewayError');

/** Every route answers a bug the same way, and API Gateway answers for every route when it does not reach it. */
const operation = (op: Operation): Operation => ({
  ...op,
  responses: {
    ...op.responses,
    '403': gateway('an unsigned or wrongly signed request, or no valid API key'),
    '429': op.responses['429'] ?? gateway('throttled by the stage or account rate; send it again later'),
    '500': error('INTERNAL: an unexpected error (logged)'),
    '502': gateway('the function failed or timed out before answering; a keyed submission is safe to send again'),
    '504': gateway('the integration timed out'),
  },
});

const jobId: Parameter = { name: 'id', in: 'path', required: true, schema: jsonSchema(JobIdSchema, 'input') };
const invalidId = error('VALIDATION_FAILED: the id is not a UUID');
const notFound = error('JOB_NOT_FOUND');
const scheduleName: Parameter = {
  name: 'name',
  in: 'path',
  required: true,
  schema: jsonSchema(ScheduleNameSchema, 'input'),
};
const scheduleNotFound = error('SCHEDULE_NOT_FOUND');
/** `POST /jobs` and `POST /workflows` take the key as a header too. */
const idempotencyKeyHeader: Parameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'the body field `idempotencyKey`, given as a header; when both are given they must agree',
  schema: jsonSchema(JobRequestSchema.shape.idempotencyKey.unwrap(), 'input'),
};
/** Workflows get random UUIDs too. */
const workflowId = jobId;
const invalidWorkflowId = error('VALIDATION_FAILED: the id is not a UUID');
const workflowNotFound = error('WORKFLOW_NOT_FOUND');
const invalidName = error('VALIDATION_FAILED: not a schedule name');
const tenant: Parameter = { name: 'tenant', in: 'path', required: true, schema: jsonSchema(TenantIdSchema, 'input') };
const invalidTenant = error('VALIDATION_FAILED: not a tenant id (`details` names `tenant`)');
/** A submit past its tenant's `maxQueued`: the route's own 429, beside the gateway's throttling. */
const queueFull = (what: string): Response =>
  error(
    `TENANT_QUEUE_FULL: ${what} (\`details\` names \`tenant\`); nothing was written. A \`Retry-After\` header ` +
      'says when to try again. API Gateway throttling answers 429 too, as a GatewayError',
  );
/** `POST /schedules/{name}/pause` and `/resume`. */
const scheduleState = (operationId: string, summary: string) => ({
  post: operation({
    operationId,
    summary,
    parameters: [scheduleName],
    responses: { '200': answer('the schedule', 'ScheduleView'), '400': invalidName, '404': scheduleNotFound },
  }),
});

export interface DocumentOptions {
  /** The deployment's allow-list of job types (construct prop `jobTypes`): `type` becomes an enum of them. */
  jobTypes?: readonly string[] | undefined;
}

/**
 * The OpenAPI 3.1 description of the HTTP API. Request bodies and queries are the very zod
 * schemas the handlers validate with; answers are the schemas of `response-schemas.ts`, which the
 * compiler ties to the types the handlers return. Without options it describes any deployment;
 * `GET /openapi.json` describes its own (its job types).
 */
export function openApiDocument(options: DocumentOptions = {}): OpenApiDocument {
  const requests = namedSchemas(
    {
      JobRequest: JobRequestSchema,
      JobBatch: JobBatchEnvelopeSchema,
      RedriveRequest: RedriveRequestSchema,
      UploadRequest: UploadRequestSchema,
      ScheduleRequest: ScheduleRequestSchema,
      TenantSettings: TenantSettingsSchema,
      WorkflowRequest: WorkflowRequestSchema,
    },
    'input',
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tailguard API',
      version: packageJson.version,
      description:
        'Submit, watch, cancel and requeue jobs of a Tailguard deployment. Requests are signed with SigV4 ' +
        '(IAM auth) or carry an `x-api-key` header (API-key auth), as the deployment chose. Every error a ' +
        'route answers has the shape of `Error`; what API Gateway answers itself (403, 429, 502, 504) is a ' +
        '`GatewayError`. A method a path does not list is answered 405 with an `Error` and an `Allow` header ' +
        'naming the methods it takes.',
    },
    servers: [{ url: '.', description: 'the API stage this document is served from' }],
    paths: {
      '/jobs': {
        post: operation({
          operationId: 'submitJob',
          summary: 'Submit a job',
          parameters: [idempotencyKeyHeader],
          requestBody: body('JobRequest'),
          responses: {
            '201': answer('the new job', 'JobView'),
            '200': answer('the job this idempotency key created before (replay)', 'JobView'),
            '400': error(
              "VALIDATION_FAILED (`details` names each field at fault; a `type` outside the deployment's allow-list, " +
                'construct prop `jobTypes`, is one) or INVALID_JSON',
            ),
            '409': error('IDEMPOTENCY_KEY_REUSED: the key came with a different request'),
            '413': error(
              'PAYLOAD_TOO_LARGE: the body (over 5 MiB of payload: upload it through POST /uploads), or a payload or upload over the deployment maximum',
            ),
            '429': queueFull("the job's tenant has its `maxQueued` jobs waiting to start"),
            '503': error('ENQUEUE_FAILED: nothing was kept; retry'),
          },
        }),
        get: operation({
          operationId: 'listJobs',
          summary: 'List the jobs in one waiting or running state, or those a recurring schedule made',
          parameters: queryParameters(JobListQuerySchema),
          responses: { '200': answer('one page of jobs', 'JobPage'), '400': error('VALIDATION_FAILED') },
        }),
      },
      '/jobs/batch': {
        post: operation({
          operationId: 'submitJobs',
          summary: `Submit up to ${MAX_BATCH_JOBS} jobs at once`,
          requestBody: body('JobBatch'),
          responses: {
            '200': answer(
              'one result per job, in request order, each as `POST /jobs` would have answered it alone: ' +
                "a job that fails validation is a 400 item here, one past its tenant's `maxQueued` a 429 item " +
                '(TENANT_QUEUE_FULL), and the others are still submitted',
              'BatchResult',
            ),
            '400': error(
              'the batch as a whole: INVALID_JSON, or VALIDATION_FAILED (no `jobs`, none or too many, an unknown field, an Idempotency-Key header)',
            ),
            '413': error('PAYLOAD_TOO_LARGE: the whole body'),
          },
        }),
      },
      '/uploads': {
        post: operation({
          operationId: 'createUpload',
          summary: 'Get a presigned PUT for a payload too large for a request',
          requestBody: body('UploadRequest'),
          responses: {
            '201': answer('where to PUT the bytes, and the payloadRef to submit them with', 'Upload'),
            '400': error('VALIDATION_FAILED or INVALID_JSON'),
            '413': error('PAYLOAD_TOO_LARGE: `bytes` is over the deployment maximum'),
          },
        }),
      },
      '/jobs/{id}': {
        get: operation({
          operationId: 'getJob',
          summary: 'Read a job and its attempts',
          parameters: [jobId],
          responses: { '200': answer('the job', 'JobView'), '400': invalidId, '404': notFound },
        }),
      },
      '/jobs/{id}/cancel': {
        post: operation({
          operationId: 'cancelJob',
          summary: 'Cancel a job',
          parameters: [jobId],
          responses: {
            '200': answer('cancelled', 'CancelView'),
            '202': answer('its running attempt is being stopped', 'CancelView'),
            '400': invalidId,
            '404': notFound,
            '409': error('JOB_FINISHED'),
          },
        }),
      },
      '/workflows': {
        post: operation({
          operationId: 'createWorkflow',
          summary: 'Submit a workflow: named steps (jobs) and the steps each depends on (docs/workflows.md)',
          parameters: [idempotencyKeyHeader],
          requestBody: body('WorkflowRequest'),
          responses: {
            '201': answer('the new workflow; its roots are queued', 'WorkflowCreated'),
            '200': answer('the workflow this idempotency key created before (replay); nothing new', 'WorkflowCreated'),
            '400': error(
              'VALIDATION_FAILED naming the step: an unknown or duplicate name, a name a spawn gives ' +
                '(ending in `.join` or `.<digits>`), a cycle (named), too many steps, a type outside the allow-list; ' +
                'or INVALID_JSON. Nothing is written',
            ),
            '409': error('IDEMPOTENCY_KEY_REUSED: the key came with a different request (or made a job)'),
            '413': error('PAYLOAD_TOO_LARGE: a step payload over 256 KiB, or the body'),
            '429': queueFull("the workflow's roots would take its tenant past its `maxQueued` jobs waiting to start"),
            '503': error('ENQUEUE_FAILED: a root could not be queued; the reaper starts it later'),
          },
        }),
      },
      '/workflows/{id}': {
        get: operation({
          operationId: 'getWorkflow',
          summary: "Read a workflow: its status and each step's status, job id, attempts and result",
          parameters: [workflowId],
          responses: {
            '200': answer('the workflow', 'WorkflowView'),
            '400': invalidWorkflowId,
            '404': workflowNotFound,
          },
        }),
      },
      '/workflows/{id}/cancel': {
        post: operation({
          operationId: 'cancelWorkflow',
          summary: 'Cancel a workflow: its waiting steps at once, its running ones through their workers',
          parameters: [workflowId],
          responses: {
            '200': answer('cancelled: every step has ended', 'WorkflowView'),
            '202': answer('running steps are being stopped', 'WorkflowView'),
            '400': invalidWorkflowId,
            '404': workflowNotFound,
            '409': error('WORKFLOW_FINISHED'),
          },
        }),
      },
      '/dlq': {
        get: operation({
          operationId: 'listDeadJobs',
          summary: 'List dead jobs with their failure history',
          parameters: queryParameters(DeadLetterQuerySchema),
          responses: { '200': answer('one page of dead jobs', 'JobPage'), '400': error('VALIDATION_FAILED') },
        }),
      },
      '/dlq/{id}/requeue': {
        post: operation({
          operationId: 'requeueDeadJob',
          summary: 'Run a dead job again, with a fresh attempt budget',
          parameters: [jobId],
          responses: {
            '200': answer('the job, queued', 'JobView'),
            '400': invalidId,
            '404': notFound,
            '409': error('JOB_NOT_DEAD'),
          },
        }),
      },
      '/dlq/redrive': {
        post: operation({
          operationId: 'redriveDeadLetters',
          summary: "Requeue one queue's dead jobs and move its SQS DLQ back",
          requestBody: body('RedriveRequest'),
          responses: { '200': answer('what this call moved', 'RedriveResult'), '400': error('VALIDATION_FAILED') },
        }),
      },
      '/schedules': {
        post: operation({
          operationId: 'createSchedule',
          summary: 'Create a recurring schedule (cron or rate) that submits a job at each fire time',
          requestBody: body('ScheduleRequest'),
          responses: {
            '201': answer('the new schedule', 'ScheduleView'),
            '400': error(
              'VALIDATION_FAILED (`details` names each field: an invalid cron or rate, a rate under 1 minute, ' +
                'an unknown time zone, a job field) or INVALID_JSON; nothing is created',
            ),
            '409': error('SCHEDULE_EXISTS: the name is taken; delete that schedule first'),
          },
        }),
        get: operation({
          operationId: 'listSchedules',
          summary: 'List the recurring schedules, with their next fire times and latest jobs',
          responses: { '200': answer('every schedule, by name', 'SchedulePage') },
        }),
      },
      '/schedules/{name}': {
        get: operation({
          operationId: 'getSchedule',
          summary: 'Read a recurring schedule, its next fire times and its latest fires',
          parameters: [scheduleName],
          responses: { '200': answer('the schedule', 'ScheduleView'), '400': invalidName, '404': scheduleNotFound },
        }),
        delete: operation({
          operationId: 'deleteSchedule',
          summary: 'Delete a recurring schedule (the jobs it made stay)',
          parameters: [scheduleName],
          responses: {
            '200': answer('deleted', 'ScheduleDeleted'),
            '400': invalidName,
            '404': scheduleNotFound,
          },
        }),
      },
      '/schedules/{name}/pause': scheduleState('pauseSchedule', 'Pause a schedule: no fires until it is resumed'),
      '/schedules/{name}/resume': scheduleState('resumeSchedule', 'Resume a paused schedule from its next fire time'),
      '/tenants': {
        get: operation({
          operationId: 'listTenants',
          summary: 'List every tenant with settings of its own (props or stored), as they apply',
          responses: { '200': answer('the tenants, by id', 'TenantPage') },
        }),
      },
      '/tenants/{tenant}': {
        get: operation({
          operationId: 'getTenant',
          summary: "Read a tenant's weight and quotas as they apply (a tenant never configured has the defaults)",
          parameters: [tenant],
          responses: { '200': answer('the tenant', 'TenantView'), '400': invalidTenant },
        }),
        put: operation({
          operationId: 'putTenant',
          summary: "Store a tenant's weight and quotas, replacing those stored before; acts within a few seconds",
          parameters: [tenant],
          requestBody: body('TenantSettings'),
          responses: {
            '200': answer('the tenant, as it applies now', 'TenantView'),
            '400': error('VALIDATION_FAILED (`details` names the field at fault, or `tenant`) or INVALID_JSON'),
          },
        }),
        delete: operation({
          operationId: 'deleteTenant',
          summary: "Drop a tenant's stored settings: the props' apply again",
          parameters: [tenant],
          responses: { '200': answer('the tenant, as it applies now', 'TenantDeleted'), '400': invalidTenant },
        }),
      },
      '/stats': {
        get: operation({
          operationId: 'getStats',
          summary: 'Queue depths, running and dead jobs per class, live workers, per-type limits in use',
          responses: { '200': answer('the statistics', 'Stats') },
        }),
      },
      '/health': {
        get: operation({
          operationId: 'getHealth',
          summary: 'Check the jobs table and the queues',
          responses: { '200': answer('all answer', 'Health'), '503': answer('something does not', 'Health') },
        }),
      },
      '/openapi.json': {
        get: operation({
          operationId: 'getOpenApi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
        }),
      },
    },
    components: {
      schemas: {
        ...requests,
        ...(options.jobTypes && { JobRequest: withJobTypes(requests.JobRequest!, options.jobTypes) }),
        ...namedSchemas(
          {
            JobView: JobViewSchema,
            CancelView: CancelViewSchema,
            JobPage: JobPageSchema,
            BatchResult: BatchResultSchema,
            RedriveResult: RedriveResultSchema,
            ScheduleView: ScheduleViewSchema,
            SchedulePage: SchedulePageSchema,
            ScheduleDeleted: ScheduleDeletedSchema,
            TenantView: TenantViewSchema,
            TenantPage: TenantPageSchema,
            TenantDeleted: TenantDeletedSchema,
            Stats: StatsSchema,
            Health: HealthSchema,
            Upload: UploadSchema,
            WorkflowCreated: WorkflowCreatedSchema,
            WorkflowView: WorkflowViewSchema,
            Error: ErrorBodySchema,
            GatewayError: GatewayErrorSchema,
          },
          'output',
        ),
      },
    },
  };
}

/** The `POST /jobs` body schema with `type` limited to the deployment's job types. */
function withJobTypes(request: JsonSchema, jobTypes: readonly string[]): JsonSchema {
  const properties = request.properties as Record<string, JsonSchema>;
  return { ...request, properties: { ...properties, type: { ...properties.type, enum: [...jobTypes] } } };
}

/** The document as `npm run openapi` writes it: two-space indents, keys in the order built, a final newline. */
export const openApiJson = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
