import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerPool } from '../../local/worker-pool.ts';

/** SIGKILLs a random worker of `pool` every `everyMs` and starts a replacement, until aborted; the kills made. */
export async function killWorkers(pool: WorkerPool, everyMs: number, signal: AbortSignal): Promise<number> {
  let kills = 0;
  while (!signal.aborted) {
    await sleep(everyMs, undefined, { signal }).catch(() => undefined);
    const victim = pool.running[Math.floor(Math.random() * pool.running.length)];
    if (!victim || signal.aborted) continue;
    await pool.kill(victim, 'SIGKILL');
    kills++;
    pool.start('cpu');
  }
  return kills;
}
