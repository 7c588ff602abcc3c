import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { delimiter } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeSection } from '../src/aws/environment/index.ts';
import type { Capacity } from '../src/jobs/model/index.ts';
import { packageRoot } from '../src/package-root.ts';

const root = packageRoot(import.meta.url);

export interface WorkerProcess {
  id: string;
  capacity: Capacity;
  process: ChildProcess;
  logFile: string;
}

export interface WorkerPoolOptions {
  /** Environment from the deployment (tables, queues, endpoint). */
  env: Record<string, string>;
  logDir: string;
  /** Extra worker flags, e.g. a shorter poll wait for tests. */
  args?: string[];
  /** Extra flags for one class's workers only. */
  classArgs?: Partial<Record<Capacity, readonly string[]>>;
  /**
   * The worker command of each class, as argv; it gets its class and id from the environment
   * (`WORKER_CAPACITY`, `WORKER_ID`), as on ECS. A team's worker calls `createWorker`.
   * @default this repository's demo worker (demo/worker/main.ts) for every class
   */
  commands?: Partial<Record<Capacity, readonly string[]>>;
  /** Where worker commands run (a team's project), with its `node_modules/.bin` on the PATH. @default this repository */
  cwd?: string;
}

/** This repository's demo worker: the container's entrypoint, run from source. */
const DEMO_WORKER = [process.execPath, '--import', 'tsx', `${root}demo/worker/main.ts`];

/**
 * Worker processes on this machine, standing in for the ECS services the emulator cannot run.
 * Each runs the same command as the class's container.
 */
export class WorkerPool {
  private readonly workers = new Map<string, WorkerProcess>();
  private counter = 0;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    // Each run starts with fresh logs: tests and people read them for this run's workers only.
    rmSync(options.logDir, { recursive: true, force: true });
    mkdirSync(options.logDir, { recursive: true });
  }

  /** Starts a worker process; after `stopAll` the pool is closed and starts nothing. */
  start(capacity: Capacity, extraArgs: string[] = []): WorkerProcess | undefined {
    // A late caller (a test's chaos loop, a capacity request) must not outlive the pool's owner.
    if (this.closed) return undefined;
    const id = `local-${capacity}-${++this.counter}`;
    const logFile = `${this.options.logDir}/${id}.log`;
    const out = openSync(logFile, 'w');
    const [command = '', ...commandArgs] = this.options.commands?.[capacity] ?? DEMO_WORKER;
    const cwd = this.options.cwd ?? root;
    const args = [...(this.options.args ?? []), ...(this.options.classArgs?.[capacity] ?? []), ...extraArgs];
    const child = spawn(command, [...commandArgs, ...args], {
      cwd,
      env: {
        ...process.env,
        PATH: `${cwd}node_modules/.bin${delimiter}${process.env.PATH ?? ''}`,
        ...this.options.env,
        ...writeSection('worker', { capacity, workerId: id }),
        // The worker stops itself if this process dies without stopping it (see workers/create-worker.ts).
        ...writeSection('parentProcess', { pid: process.pid }),
      },
      stdio: ['ignore', out, out],
    });
    const worker = { id, capacity, process: child, logFile };
    this.workers.set(id, worker);
    child.once('exit', () => this.workers.delete(id));
    return worker;
  }

  get running(): WorkerProcess[] {
    return [...this.workers.values()];
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (worker.process.exitCode !== null || worker.process.signalCode !== null) return;
    const exited = new Promise((resolve) => worker.process.once('exit', resolve));
    worker.process.kill(signal);
    await exited;
  }

  /** Closes the pool, then SIGTERM to all (they finish or release their jobs), SIGKILL after `graceMs`. */
  async stopAll(graceMs = 30_000): Promise<void> {
    this.closed = true;
    const workers = this.running;
    const stopped = Promise.all(workers.map((w) => this.kill(w, 'SIGTERM')));
    if ((await Promise.race([stopped, sleep(graceMs, 'timeout')])) === 'timeout') {
      await Promise.all(workers.map((w) => this.kill(w, 'SIGKILL')));
    }
  }
}
