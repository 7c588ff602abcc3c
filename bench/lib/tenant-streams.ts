import { setTimeout as sleep } from 'node:timers/promises';
import type { TailguardClient } from '../../src/client/tailguard-client.ts';
import type { JobRequestInput } from '../../src/jobs/intake/index.ts';

export interface TenantStreams {
  /** Jobs submitted so far, all tenants together. */
  readonly submitted: number;
  /** Stops sending, waits for the requests in flight, and returns every job id (any refused submit fails it). */
  stop(): Promise<string[]>;
}

/**
 * An open loop per tenant: each sends `job` through POST /jobs once per `intervalMs`, on time
 * whether or not earlier requests were answered, but with at most `maxInFlight` requests in flight
 * in all (slow answers on a busy machine would otherwise pile up new Lambda runtimes on the emulator).
 */
export function tenantStreams(
  client: TailguardClient,
  tenants: readonly string[],
  job: JobRequestInput,
  options: { intervalMs: number; maxInFlight: number; runId: string; onSubmitted?: () => void },
): TenantStreams {
  const ids: string[] = [];
  const errors: unknown[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const started = performance.now();
  const loop = (async () => {
    for (let tick = 0; !stopped; tick++) {
      await sleep(started + tick * options.intervalMs - performance.now());
      for (const tenant of tenants) {
        if (stopped) return;
        while (inFlight.size >= options.maxInFlight) await Promise.race(inFlight);
        // The key lets the client retry a 500 from the busy emulator without a duplicate job.
        const idempotencyKey = `${options.runId}-${tenant}-${tick}`;
        const request = client
          .submit({ ...job, tenant, idempotencyKey })
          .then((answer) => {
            ids.push(answer.body.id);
            options.onSubmitted?.();
          })
          .catch((error: unknown) => void errors.push(error))
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
      }
    }
  })();
  return {
    get submitted() {
      return ids.length;
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inFlight);
      if (errors.length > 0) throw new Error(`${errors.length} stream submits failed; first: ${String(errors[0])}`);
      return ids;
    },
  };
}
