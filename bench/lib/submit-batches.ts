import { chunks } from '../../src/aws/batches.ts';
import type { TailguardClient } from '../../src/client/tailguard-client.ts';
import type { JobRequestInput } from '../../src/jobs/intake/index.ts';
import { mapLimit } from '../../test/helpers/map-limit.ts';

/**
 * Submits `requests` through `POST /jobs/batch`, `size` jobs a call and `parallel` calls at once.
 * Returns the job ids in request order and each call's round trip; any job refused fails the bench.
 */
export async function submitInBatches(
  client: TailguardClient,
  requests: readonly JobRequestInput[],
  options: { size: number; parallel: number; onSubmitted?: (jobs: number) => void },
): Promise<{ ids: string[]; requestMs: number[] }> {
  const requestMs: number[] = [];
  const ids = await mapLimit(chunks(requests, options.size), options.parallel, async (batch) => {
    const started = performance.now();
    const items = await client.submitBatch(batch);
    requestMs.push(performance.now() - started);
    options.onSubmitted?.(items.length);
    return items.map((item) => {
      if (!('job' in item)) throw new Error(`batch item refused: ${JSON.stringify(item)}`);
      return item.job.id;
    });
  });
  return { ids: ids.flat(), requestMs };
}
