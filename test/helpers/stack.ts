import { paginateScan } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { deploymentClients } from '../../local/deployment-clients.ts';
import type { JobView } from '../../src/contract/job-view.ts';
import { isTerminal } from '../../src/jobs/model/index.ts';
import { OpenApiContract } from './openapi-contract.ts';
import { waitFor } from './wait-for.ts';

const contract = new OpenApiContract();

/**
 * The deployed test stack and clients for it, as the global setup provided them. Every answer the
 * client gets is checked against the OpenAPI document: one it does not describe fails the test.
 */
export function testStack() {
  const deployment = inject('deployment');
  const checked = (inner: typeof fetch) => contract.checkedFetch(deployment.apiUrl, inner);
  const { client, signedFetch, dynamodb, sqs } = deploymentClients(deployment, checked);

  return {
    deployment,
    client,
    /** Checks the answers `inner` gets from the API against the OpenAPI document, as `client`'s are. */
    checked,
    /** A signed request to `path` under the API, as written: no content type unless given. */
    request: (path: string, init: RequestInit) => signedFetch(new URL(path, deployment.apiUrl), init),
    sqs,
    dynamodb,
    /** Number of items in the jobs table (a full scan: fine for the small test tables). */
    async countJobs(): Promise<number> {
      let count = 0;
      for await (const page of paginateScan(
        { client: dynamodb },
        { TableName: deployment.jobsTable, Select: 'COUNT' },
      )) {
        count += page.Count ?? 0;
      }
      return count;
    },
    /** Polls `GET /jobs/{id}` until `done` accepts the job. */
    async waitForJob(id: string, done: (job: JobView) => boolean, what: string, timeoutMs = 30_000): Promise<JobView> {
      return waitFor(async () => (await client.getJob(id)).body, done, { timeoutMs, what: `job ${id}: ${what}` });
    },
    /** Polls `GET /jobs/{id}` until the job reaches a terminal status. */
    async waitUntilFinished(id: string, timeoutMs = 30_000): Promise<JobView> {
      return waitFor(
        async () => (await client.getJob(id)).body,
        (job) => isTerminal(job.status),
        { timeoutMs, what: `job ${id} to finish` },
      );
    },
  };
}
