import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface SigV4FetchOptions {
  region: string;
  /** Default: the SDK's standard chain (environment, profile, SSO, instance/task role). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/**
 * A `fetch` that signs each request with SigV4 for API Gateway (`execute-api`), as the API's
 * default IAM authorization requires. Signing is done by the AWS SDK's own signer.
 */
export function sigV4Fetch(options: SigV4FetchOptions): typeof fetch {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials ?? fromNodeProviderChain(),
    sha256: Hash.bind(null, 'sha256'),
  });
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const body = typeof init.body === 'string' ? init.body : undefined;
    const signed = await signer.sign(
      new HttpRequest({
        method: init.method ?? 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: decodeURIComponent(url.pathname),
        query: Object.fromEntries(url.searchParams),
        headers: { ...Object.fromEntries(new Headers(init.headers)), host: url.host },
        body,
      }),
    );
    return fetch(url, { ...init, headers: signed.headers, body });
  };
}
