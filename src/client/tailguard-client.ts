import type { ErrorBody } from '../api/api-error.ts';
import type { JobView } from '../api/job-view.ts';
import type { JobRequestInput } from '../jobs/intake/index.ts';

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** Thrown for any non-2xx answer; carries the API's error body. */
export class TailguardApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(`HTTP ${status}: ${body.error?.message ?? JSON.stringify(body)}`);
    this.name = 'TailguardApiError';
  }
}

export interface ClientOptions {
  /** Base URL ending in `/`, e.g. the local invoke URL or the stage URL on AWS. */
  baseUrl: string;
  /** Signs or decorates requests (e.g. SigV4 on AWS). */
  fetch?: typeof fetch;
}

/** A small typed client for the Tailguard HTTP API, sharing its request schema with the server. */
export class TailguardClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** `POST /jobs`: 201 for a new job, 200 for an idempotent replay. */
  submit(request: JobRequestInput, headers: Record<string, string> = {}): Promise<ApiResponse<JobView>> {
    return this.call('POST', 'jobs', JSON.stringify(request), headers);
  }

  getJob(id: string): Promise<ApiResponse<JobView>> {
    return this.call('GET', `jobs/${encodeURIComponent(id)}`);
  }

  /** Sends a raw request and returns status and parsed body whatever the status: for tests of errors. */
  async raw(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<unknown>> {
    const response = await this.fetch(new URL(path, this.options.baseUrl), {
      method,
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  private async call<T>(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const response = await this.raw(method, path, body, headers);
    if (response.status >= 400) throw new TailguardApiError(response.status, response.body as ErrorBody);
    return response as ApiResponse<T>;
  }
}
