import type { TailguardClient } from '../../src/client/index.ts';

/**
 * The API calls the dashboard page may make through the operator's signed client: the read routes,
 * and the operator actions it has buttons for. Anything else is refused, so the local port
 * never becomes a general-purpose signing proxy (no submits, nothing the page does not need).
 */
const FORWARDED: readonly { method: 'GET' | 'POST'; path: RegExp }[] = [
  { method: 'GET', path: /^stats$/ },
  { method: 'GET', path: /^health$/ },
  { method: 'GET', path: /^jobs$/ },
  { method: 'GET', path: /^jobs\/[\w-]+$/ },
  { method: 'GET', path: /^dlq$/ },
  { method: 'GET', path: /^schedules$/ },
  { method: 'GET', path: /^workflows\/[\w-]+$/ },
  { method: 'POST', path: /^jobs\/[\w-]+\/cancel$/ },
  { method: 'POST', path: /^workflows\/[\w-]+\/cancel$/ },
  { method: 'POST', path: /^dlq\/[\w-]+\/requeue$/ },
  { method: 'POST', path: /^dlq\/redrive$/ },
];

/** An API call the page asked for: `path` relative to the stage (`dlq/<id>/requeue`), `search` with its `?` or empty. */
export interface ApiCall {
  method: string;
  path: string;
  search: string;
  body?: string;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export function isForwarded(call: Pick<ApiCall, 'method' | 'path'>): boolean {
  return FORWARDED.some((route) => route.method === call.method && route.path.test(call.path));
}

/**
 * Sends an allowed call through the client (signed as the CLI signs) and hands back the API's
 * answer as it came, error statuses included; the page shows them. A call the API never answered
 * (no credentials, no network) becomes a 502 in the API's error shape.
 */
export async function forward(client: TailguardClient, call: ApiCall): Promise<ApiAnswer> {
  if (!isForwarded(call)) {
    return errorAnswer(403, 'NOT_FORWARDED', `the dashboard does not forward ${call.method} /${call.path}`);
  }
  try {
    return await client.raw(call.method, `${call.path}${call.search}`, call.body);
  } catch (error) {
    return errorAnswer(502, 'API_UNREACHABLE', `the API did not answer: ${(error as Error).message}`);
  }
}

export const errorAnswer = (status: number, code: string, message: string): ApiAnswer => ({
  status,
  body: { error: { code, message, details: [] } },
});
