/** `tailguard/client`: a typed client for the Tailguard HTTP API. */
export type { ErrorDetail } from '../contract/api-error.ts';
export type {
  JobRequestInput,
  ScheduleRequestInput,
  TenantSettings,
  WorkflowRequestInput,
} from '../contract/requests.ts';
export type {
  BatchItemView,
  BatchView,
  CancelView,
  DeadLetterPage,
  DeadLetterQuery,
  HealthView,
  JobListQuery,
  JobPage,
  JobView,
  LimitView,
  RedriveRequest,
  RedriveResult,
  ScheduleDeleted,
  SchedulePage,
  ScheduleView,
  StatsView,
  TenantDeleted,
  TenantPage,
  TenantView,
  UploadRequestInput,
  UploadView,
  WorkerView,
  WorkflowCreated,
  WorkflowView,
} from '../contract/views.ts';
export type { Capacity, JobStatus, Priority } from '../jobs/model/index.ts';
export { type ClientAuth, type CreateClientOptions, createClient } from './create-client.ts';
export { TailguardApiError, TailguardTimeoutError } from './errors.ts';
export { type SigV4FetchOptions, sigV4Fetch } from './sigv4-fetch.ts';
export {
  type ApiResponse,
  type ClientOptions,
  type SubmitOptions,
  TailguardClient,
  type WaitOptions,
} from './tailguard-client.ts';
