import { setTimeout as sleep } from 'node:timers/promises';
import {
  type JobRequestInput,
  MAX_BATCH_BYTES,
  MAX_BATCH_JOBS,
  MAX_REQUEST_PAYLOAD_BYTES,
  type ScheduleRequestInput,
  type TenantSettings,
  type WorkflowRequestInput,
} from '../contract/requests.ts';
import type {
  BatchItemView,
  BatchView,
  CancelView,
  DeadLetterPage,
  DeadLetterQuery,
  HealthView,
  JobListQuery,
  JobPage,
  JobView,
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
  WorkflowCreated,
  WorkflowView,
} from '../contract/views.ts';
import { isTerminal } from '../jobs/model/index.ts';
import { TailguardApiError, TailguardTimeoutError } from './errors.ts';

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export interface ClientOptions {
  /** Base URL of the API's stage, e.g. the local invoke URL or the stage URL on AWS. */
  baseUrl: string;
  /** Signs or decorates requests (e.g. SigV4 on AWS). */
  fetch?: typeof fetch;
  /**
   * Fetches presigned payload-bucket URLs (uploads, stored results): they carry their own
   * signature, so they go out unsigned. @default globalThis.fetch
   */
  objectFetch?: typeof fetch;
}

export interface SubmitOptions {
  /**
   * Sent as the `Idempotency-Key` header: a replay answers the job (or workflow) the key created. A key (here or
   * in the request's `idempotencyKey`) makes the submission safe to send again, so throttling, 5xx
   * answers and failed connections are retried (`retries` times, backing off); one without is sent once.
   */
  idempotencyKey?: string;
  /** Retries of a keyed submission (default 2). */
  retries?: number;
  /** First pause before a retry (default 200 ms), doubled each time. */
  retryDelayMs?: number;
}

export interface WaitOptions {
  /** Gives up with a TailguardTimeoutError after this long; default: wait as long as it takes. */
  timeoutMs?: number;
  /** First pause between polls (default 500 ms); each pause is 1.5 times the last, up to `maxIntervalMs`. */
  intervalMs?: number;
  /** Longest pause between polls (default 5 s). */
  maxIntervalMs?: number;
  /** Called with the job after every poll, the finished job included. */
  onUpdate?: (job: JobView) => void;
  /** Stops waiting; waitFor then rejects with the signal's reason. */
  signal?: AbortSignal;
}

const BACKOFF_FACTOR = 1.5;
/** Polls in flight at once while waiting for many jobs. */
const PARALLEL_POLLS = 16;
/** Answers a later poll may not get again: throttling and a gateway or Lambda briefly failing. */
const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);

/** A typed client for the Tailguard HTTP API, sharing its request and response types with the server. */
export class TailguardClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly objectFetch: typeof fetch;

  constructor(options: ClientOptions) {
    // Relative paths resolve under the stage only when the base ends in `/`.
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.objectFetch = options.objectFetch ?? globalThis.fetch;
  }

  /**
   * `POST /jobs`: `status` 201 for a new job, 200 when an idempotency key replays an earlier one
   * (also when a retry finds the job its lost first try created).
   */
  async submit(request: JobRequestInput, options: SubmitOptions = {}): Promise<ApiResponse<JobView>> {
    return this.postKeyed<JobView>('jobs', await this.bodyOf(request), request.idempotencyKey, options);
  }

  /**
   * POSTs a body that an idempotency key may make safe to repeat: the key of `options` goes as the
   * `Idempotency-Key` header; with it or one in the body (`bodyKey`), failures a retry may not meet
   * are retried (SubmitOptions); without, the request is sent once.
   */
  private async postKeyed<T>(
    path: string,
    body: string,
    bodyKey: string | undefined,
    options: SubmitOptions,
  ): Promise<ApiResponse<T>> {
    const { idempotencyKey, retries = 2, retryDelayMs = 200 } = options;
    const send = () =>
      this.call<T>('POST', path, { body, headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {} });
    if (!idempotencyKey && !bodyKey) return send();
    for (let retry = 0; ; retry++) {
      try {
        return await send();
      } catch (error) {
        if (retry >= retries || !mayRetry(error)) throw error;
        await sleep(retryDelayMs * 2 ** retry);
      }
    }
  }

  /**
   * A payload over what a request carries (MAX_REQUEST_PAYLOAD_BYTES as JSON) is uploaded first
   * and submitted by its `payloadRef`: the handler gets it the same either way.
   */
  private async bodyOf(request: JobRequestInput): Promise<string> {
    const body = JSON.stringify(request);
    if (request.payload === undefined || Buffer.byteLength(body) <= MAX_REQUEST_PAYLOAD_BYTES) return body;
    const { payload, ...rest } = request;
    const payloadRef = await this.upload(JSON.stringify(payload), 'application/json');
    return JSON.stringify({ ...rest, payloadRef });
  }

  /**
   * `POST /uploads`, then the bytes PUT to the presigned URL it answers: the `payloadRef` to submit
   * a job with (`submit({ type, payloadRef })`). `application/json` content is parsed for the
   * handler; `application/octet-stream` reaches it as bytes (a Buffer; in Python, an open file).
   */
  async upload(
    content: string | Uint8Array,
    contentType: UploadRequestInput['contentType'] = 'application/octet-stream',
  ): Promise<string> {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const { body: upload } = await this.call<UploadView>('POST', 'uploads', {
      body: JSON.stringify({ bytes: bytes.byteLength, contentType } satisfies UploadRequestInput),
    });
    const put = await this.objectFetch(upload.uploadUrl, {
      method: upload.method,
      headers: upload.headers,
      body: bytes,
    });
    if (!put.ok) throw new TailguardApiError(put.status, parseBody(await put.text()));
    return upload.payloadRef;
  }

  /**
   * The job's result, wherever it is kept: the inline `result`, or the object at its presigned
   * `resultUrl` (parsed when JSON, a Uint8Array when bytes). Undefined before the job succeeded.
   */
  async result(jobOrId: string | JobView): Promise<unknown> {
    const job = typeof jobOrId === 'string' ? await this.get(jobOrId) : jobOrId;
    if (job.resultObject === null) return job.status === 'SUCCEEDED' ? job.result : undefined;
    const fresh = job.resultUrl === null ? await this.get(job.id) : job;
    const response = await this.objectFetch(fresh.resultUrl!);
    if (!response.ok) throw new TailguardApiError(response.status, parseBody(await response.text()));
    const bytes = new Uint8Array(await response.arrayBuffer());
    return job.resultObject.format === 'json' ? JSON.parse(Buffer.from(bytes).toString('utf8')) : bytes;
  }

  /**
   * `POST /jobs/batch`, as many times as `requests` needs (1,000 jobs and 5 MiB a call): one result
   * per request, in order, each what `POST /jobs` would have answered it alone. A refused item
   * does not stop the others; `onProgress` hears after each call how many were sent.
   */
  async submitBatch(
    requests: readonly JobRequestInput[],
    options: { onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<BatchItemView[]> {
    const results: BatchItemView[] = [];
    for (const chunk of batchBodies(requests)) {
      const { body } = await this.call<BatchView>('POST', 'jobs/batch', { body: chunk.body });
      results.push(...body.items);
      options.onProgress?.(results.length, requests.length);
    }
    return results;
  }

  /** `GET /jobs/{id}`. */
  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    return (await this.call<JobView>('GET', jobPath(id), options)).body;
  }

  /**
   * `GET /jobs/{id}` with its status.
   * @deprecated Use get(); kept for the integration tests that read `.body`.
   */
  getJob(id: string): Promise<ApiResponse<JobView>> {
    return this.call('GET', jobPath(id));
  }

  /**
   * Polls the job until it is finished (SUCCEEDED, DEAD or CANCELLED) and returns it. Pauses grow
   * from `intervalMs`, so a long job costs few requests; throttling and 502–504 answers are
   * polled through, any other error ends the wait. A JSON result kept in the payload bucket is
   * fetched into `result`; a bytes result is read with `result()`.
   */
  async waitFor(id: string, options: WaitOptions = {}): Promise<JobView> {
    const { timeoutMs, intervalMs = 500, maxIntervalMs = 5000, onUpdate, signal } = options;
    const deadline = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const stop = AbortSignal.any([signal, deadline].filter((s) => s !== undefined));
    let last: JobView | undefined;
    try {
      for (let pause = intervalMs; ; pause = Math.min(pause * BACKOFF_FACTOR, maxIntervalMs)) {
        const job = await this.get(id, { signal: stop }).catch(transientAsUndefined);
        if (job) {
          last = job;
          onUpdate?.(job);
          // A stored JSON result is fetched into `result`; bytes stay behind `resultUrl` (see result()).
          if (isTerminal(job.status))
            return job.resultObject?.format === 'json' ? { ...job, result: await this.result(job) } : job;
        }
        await sleep(pause, undefined, { signal: stop });
      }
    } catch (error) {
      // Whichever await the stop interrupted (a poll or a pause), say why the wait ended.
      if (signal?.aborted) throw signal.reason;
      if (timeoutMs !== undefined && deadline?.aborted) throw new TailguardTimeoutError(id, timeoutMs, last);
      throw error;
    }
  }

  /**
   * Waits until every job of `ids` is finished and returns them in that order: rounds of polls of
   * the unfinished ones (a few at a time), `intervalMs` apart. Errors as in `waitFor`.
   */
  async waitForAll(
    ids: readonly string[],
    options: Omit<WaitOptions, 'onUpdate' | 'maxIntervalMs'> & {
      onProgress?: (finished: number, total: number) => void;
    } = {},
  ): Promise<JobView[]> {
    const { timeoutMs, intervalMs = 1000, onProgress, signal } = options;
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const finished = new Map<string, JobView>();
    const last = new Map<string, JobView>();
    for (;;) {
      const waiting = ids.filter((id) => !finished.has(id));
      for (let start = 0; start < waiting.length; start += PARALLEL_POLLS) {
        const polled = await Promise.all(
          waiting
            .slice(start, start + PARALLEL_POLLS)
            .map((id) => this.get(id, { signal }).catch(transientAsUndefined)),
        );
        for (const job of polled) {
          if (job) last.set(job.id, job);
          if (job && isTerminal(job.status)) finished.set(job.id, job);
        }
      }
      onProgress?.(finished.size, ids.length);
      if (finished.size === new Set(ids).size) return ids.map((id) => finished.get(id)!);
      if (deadline !== undefined && Date.now() >= deadline) {
        const late = ids.find((id) => !finished.has(id))!;
        throw new TailguardTimeoutError(late, timeoutMs!, last.get(late));
      }
      await sleep(intervalMs, undefined, { signal });
    }
  }

  /** `POST /jobs/{id}/cancel`: a waiting job is CANCELLED at once; a running one is stopped at its next heartbeat. */
  async cancel(id: string): Promise<CancelView> {
    return (await this.call<CancelView>('POST', `${jobPath(id)}/cancel`)).body;
  }

  /** `GET /jobs?status=|schedule=`: one page of the jobs in one state (e.g. `RUNNING`) or of one schedule, of one `tenant` or all. */
  async listJobs(query: JobListQuery): Promise<JobPage> {
    return (await this.call<JobPage>('GET', `jobs?${searchOf(query)}`)).body;
  }

  /** Every job the query matches, following the cursor page by page (`limit` is the page size). */
  async *allJobs(query: JobListQuery): AsyncGenerator<JobView> {
    let cursor = query.cursor;
    do {
      const page = await this.listJobs({ ...query, cursor });
      yield* page.items;
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** `GET /dlq`: one page of dead jobs, oldest first per queue. */
  async listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetterPage> {
    return (await this.call<DeadLetterPage>('GET', `dlq?${searchOf(query)}`)).body;
  }

  /** Every dead job the query matches, following the cursor page by page (`limit` is the page size). */
  async *allDeadLetters(query: DeadLetterQuery = {}): AsyncGenerator<JobView> {
    let cursor = query.cursor;
    do {
      const page = await this.listDeadLetters({ ...query, cursor });
      yield* page.items;
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** `POST /dlq/{id}/requeue`: runs a dead job again with a fresh attempt budget. */
  async requeue(id: string): Promise<JobView> {
    return (await this.call<JobView>('POST', `dlq/${encodeURIComponent(id)}/requeue`)).body;
  }

  /** `POST /dlq/redrive`: requeues up to `limit` dead jobs of one queue; call again while `remaining`. */
  async redrive(request: RedriveRequest): Promise<RedriveResult> {
    return (await this.call<RedriveResult>('POST', 'dlq/redrive', { body: JSON.stringify(request) })).body;
  }

  /** `GET /stats`: queue depths, running and dead jobs per class, live workers. */
  async stats(): Promise<StatsView> {
    return (await this.call<StatsView>('GET', 'stats')).body;
  }

  /** `GET /health`: a degraded answer (503) is returned too, as it names the failing check. */
  async health(): Promise<HealthView> {
    const response = await this.send('GET', 'health', {});
    if (response.status !== 200 && response.status !== 503) throw new TailguardApiError(response.status, response.body);
    return response.body as HealthView;
  }

  /** `POST /schedules`: a recurring schedule that submits `request.job` at each fire time. */
  async createSchedule(request: ScheduleRequestInput): Promise<ScheduleView> {
    return (await this.call<ScheduleView>('POST', 'schedules', { body: JSON.stringify(request) })).body;
  }

  /** `GET /schedules`: every recurring schedule, by name. */
  async listSchedules(): Promise<ScheduleView[]> {
    return (await this.call<SchedulePage>('GET', 'schedules')).body.items;
  }

  /** `GET /schedules/{name}`: the schedule, its next fire times and the jobs of its latest fires. */
  async getSchedule(name: string): Promise<ScheduleView> {
    return (await this.call<ScheduleView>('GET', schedulePath(name))).body;
  }

  /** `DELETE /schedules/{name}`: no more fires; the jobs it made stay. */
  async deleteSchedule(name: string): Promise<ScheduleDeleted> {
    return (await this.call<ScheduleDeleted>('DELETE', schedulePath(name))).body;
  }

  /** `POST /schedules/{name}/pause` (`paused`: true) or `/resume` (false). */
  async pauseSchedule(name: string, paused = true): Promise<ScheduleView> {
    return (await this.call<ScheduleView>('POST', `${schedulePath(name)}/${paused ? 'pause' : 'resume'}`)).body;
  }

  /** `GET /tenants`: every tenant with settings of its own (props or stored), as they apply. */
  async listTenants(): Promise<TenantView[]> {
    return (await this.call<TenantPage>('GET', 'tenants')).body.tenants;
  }

  /** `GET /tenants/{tenant}`: its weight and quotas as they apply (a tenant never configured has the defaults). */
  async getTenant(tenant: string): Promise<TenantView> {
    return (await this.call<TenantView>('GET', tenantPath(tenant))).body;
  }

  /** `PUT /tenants/{tenant}`: stores its settings, replacing those stored before; they act within a few seconds. */
  async putTenant(tenant: string, settings: TenantSettings): Promise<TenantView> {
    return (await this.call<TenantView>('PUT', tenantPath(tenant), { body: JSON.stringify(settings) })).body;
  }

  /** `DELETE /tenants/{tenant}`: drops its stored settings; the props' apply again. */
  async deleteTenant(tenant: string): Promise<TenantDeleted> {
    return (await this.call<TenantDeleted>('DELETE', tenantPath(tenant))).body;
  }

  /**
   * `POST /workflows`: the new workflow's id (docs/workflows.md); with an idempotency key (in
   * `options` or the request), the id the key created, and retried as `submit` is.
   */
  async submitWorkflow(request: WorkflowRequestInput, options: SubmitOptions = {}): Promise<WorkflowCreated> {
    return (
      await this.postKeyed<WorkflowCreated>('workflows', JSON.stringify(request), request.idempotencyKey, options)
    ).body;
  }

  /** `GET /workflows/{id}`: the workflow's status and each step's. */
  async getWorkflow(id: string, options: { signal?: AbortSignal } = {}): Promise<WorkflowView> {
    return (await this.call<WorkflowView>('GET', workflowPath(id), options)).body;
  }

  /** `POST /workflows/{id}/cancel`: the workflow, CANCELLED, or still stopping its running steps. */
  async cancelWorkflow(id: string): Promise<WorkflowView> {
    return (await this.call<WorkflowView>('POST', `${workflowPath(id)}/cancel`)).body;
  }

  /** Sends a raw request and returns status and parsed body whatever the status: for tests of errors. */
  raw(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<unknown>> {
    return this.send(method, path, { body, headers });
  }

  private async call<T>(method: string, path: string, request: RequestParts = {}): Promise<ApiResponse<T>> {
    const response = await this.send(method, path, request);
    if (response.status >= 400) throw new TailguardApiError(response.status, response.body);
    return response as ApiResponse<T>;
  }

  private async send(method: string, path: string, request: RequestParts): Promise<ApiResponse<unknown>> {
    const response = await this.fetch(new URL(path, this.baseUrl), {
      method,
      body: request.body,
      headers: { 'content-type': 'application/json', ...request.headers },
      signal: request.signal,
    });
    return { status: response.status, body: parseBody(await response.text()) };
  }
}

interface RequestParts {
  body?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const jobPath = (id: string) => `jobs/${encodeURIComponent(id)}`;
const schedulePath = (name: string) => `schedules/${encodeURIComponent(name)}`;
const tenantPath = (tenant: string) => `tenants/${encodeURIComponent(tenant)}`;
const workflowPath = (id: string) => `workflows/${encodeURIComponent(id)}`;

/** A query string of the fields that are set. */
function searchOf(query: object): URLSearchParams {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
  return search;
}

/** A poll's answer that a later poll may not get again counts as no answer; others are errors. */
function transientAsUndefined(error: unknown): undefined {
  if (error instanceof TailguardApiError && TRANSIENT_STATUSES.has(error.status)) return undefined;
  throw error;
}

/** Request bodies of at most MAX_BATCH_JOBS jobs and MAX_BATCH_BYTES each, in order. */
function* batchBodies(requests: readonly JobRequestInput[]): Generator<{ body: string }> {
  let jobs: string[] = [];
  let bytes = 0;
  const body = () => ({ body: `{"jobs":[${jobs.join(',')}]}` });
  for (const request of requests) {
    const json = JSON.stringify(request);
    const size = Buffer.byteLength(json) + 1;
    if (jobs.length === MAX_BATCH_JOBS || (jobs.length > 0 && bytes + size > MAX_BATCH_BYTES - BATCH_ENVELOPE_BYTES)) {
      yield body();
      jobs = [];
      bytes = 0;
    }
    jobs.push(json);
    bytes += size;
  }
  if (jobs.length > 0) yield body();
}

/** What a batch body holds besides its jobs: `{"jobs":[]}`. */
const BATCH_ENVELOPE_BYTES = 11;

/** What another try of an idempotent request may not meet: throttling, a server error, a lost connection. */
function mayRetry(error: unknown): boolean {
  // A tenant's full queue does not empty in a retry's pause: its 429 goes to the caller (Retry-After).
  if (error instanceof TailguardApiError) {
    return (error.status === 429 && error.code !== 'TENANT_QUEUE_FULL') || error.status >= 500;
  }
  return error instanceof TypeError; // fetch's "fetch failed": no answer came
}

/** JSON when the answer is JSON; an error page in another format stays text, to be reported. */
export function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
