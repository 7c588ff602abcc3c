import { type SigV4FetchOptions, sigV4Fetch } from './sigv4-fetch.ts';
import { TailguardClient } from './tailguard-client.ts';

/**
 * How requests are authorized, matching the stack's `tailguard:apiAuth`: `iam` signs with SigV4
 * (the default, on AWS and on the emulator alike), `{apiKey}` sends `x-api-key`, `none` sends
 * nothing (an API without authorization, e.g. a test server).
 */
export type ClientAuth = 'iam' | { apiKey: string } | 'none';

export interface CreateClientOptions {
  /** Base URL of the API's stage, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/v1/`. */
  apiUrl: string;
  /** Region to sign for (`iam`); default: the one in an execute-api URL, else AWS_REGION, else us-east-1. */
  region?: string;
  /** Default `iam`. */
  auth?: ClientAuth;
  /** For `iam`; default: the SDK's default credential chain. */
  credentials?: SigV4FetchOptions['credentials'];
}

/** A TailguardClient for a deployed API, authorized as the stack expects. */
export function createClient(options: CreateClientOptions): TailguardClient {
  return new TailguardClient({ baseUrl: options.apiUrl, fetch: authorizedFetch(options) });
}

function authorizedFetch({ apiUrl, region, auth = 'iam', credentials }: CreateClientOptions): typeof fetch {
  if (auth === 'none') return globalThis.fetch;
  if (auth === 'iam') return sigV4Fetch({ region: region ?? regionOf(apiUrl), credentials });
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('x-api-key', auth.apiKey);
    return globalThis.fetch(input, { ...init, headers });
  };
}

/** The region SigV4 must name: an execute-api host says it; elsewhere (the emulator, a custom domain) the environment does. */
export function regionOf(apiUrl: string): string {
  const fromHost = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(new URL(apiUrl).hostname)?.[1];
  return fromHost ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}
