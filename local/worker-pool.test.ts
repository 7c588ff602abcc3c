import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../test/helpers/wait-for.ts';
import { WorkerPool, type WorkerPoolOptions } from './worker-pool.ts';

let pool: WorkerPool | undefined;
afterEach(() => pool?.stopAll(1000));

/** A pool whose cpu workers run `script` with node instead of the demo worker. */
function poolRunning(script: string, onReplaced: WorkerPoolOptions['onReplaced']): WorkerPool {
  pool = new WorkerPool({
    env: {},
    logDir: mkdtempSync(join(tmpdir(), 'worker-pool-')),
    commands: { cpu: [process.execPath, '-e', script, '--'] },
    onReplaced,
  });
  return pool;
}

describe('WorkerPool', () => {
  it('replaces a worker that exits on its own with one of the same class and flags, as an ECS service does', async () => {
    // Prepare: the first worker exits at once; its replacements stay up.
    const replaced = vi.fn();
    const crashes = poolRunning(
      "if (process.argv.includes('--first')) process.exit(3); setInterval(() => {}, 1000);",
      replaced,
    );
    // Act
    const first = crashes.start('cpu', ['--first'])!;
    // Assess: one replacement (it gets `--first` too, and exits as well: a crash loop, replaced again).
    await waitFor(
      async () => replaced.mock.calls.length,
      (calls) => calls >= 2,
      { timeoutMs: 30_000, what: 'two replacements' },
    );
    const [exited, how, replacement] = replaced.mock.calls[0]!;
    expect(exited.id).toBe(first.id);
    expect(how).toBe('code 3');
    expect(replacement).toMatchObject({ capacity: 'cpu' });
    expect(replacement.id).not.toBe(first.id);
  });

  it('does not replace a worker killed through the pool, nor any after stopAll', async () => {
    // Prepare
    const replaced = vi.fn();
    const workers = poolRunning('setInterval(() => {}, 1000);', replaced);
    const killed = workers.start('cpu')!;
    const stopped = workers.start('cpu')!;
    // Act
    await workers.kill(killed, 'SIGKILL');
    await workers.stopAll(1000);
    // Assess: past the first replacement's delay (1 s), nothing was started and nothing runs.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(replaced).not.toHaveBeenCalled();
    expect(workers.running).toEqual([]);
    expect(stopped.process.exitCode ?? stopped.process.signalCode).not.toBeNull();
  });
});
