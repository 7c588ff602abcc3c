import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sigV4Fetch } from '../src/client/sigv4-fetch.ts';
import { TailguardClient } from '../src/client/tailguard-client.ts';
import { localClientConfig } from './aws-env.ts';
import type { LocalDeployment } from './deploy.ts';

/**
 * Clients for a stack deployed to the emulator, as tests and benchmarks use them: its API (SigV4,
 * as on AWS) and SDK clients to read its tables and queues directly.
 */
export function deploymentClients(
  deployment: Pick<LocalDeployment, 'endpoint' | 'apiUrl'>,
  /** Wraps the signing fetch, e.g. to check every answer (test/helpers/openapi-contract.ts). */
  wrapFetch: (signed: typeof fetch) => typeof fetch = (signed) => signed,
) {
  const awsConfig = localClientConfig(deployment.endpoint);
  const signedFetch = wrapFetch(sigV4Fetch(awsConfig));
  return {
    awsConfig,
    /** Signed requests exactly as written (the client always sends JSON with a content type). */
    signedFetch,
    client: new TailguardClient({ baseUrl: deployment.apiUrl, fetch: signedFetch }),
    dynamodb: new DynamoDBClient(awsConfig),
    sqs: new SQSClient(awsConfig),
  };
}
