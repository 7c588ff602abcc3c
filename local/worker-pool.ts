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
  /** Told of each worker that exited on its own, and of the one started in its place. @default a line on stderr */
  onReplaced?: (exited: WorkerProcess, how: string, replacement: WorkerProcess | undefined) => void;
}

/** A replacement for a worker that lived this long starts at once; one that died sooner waits, doubling, up to REPLACE_MAX_DELAY_MS. */
const CRASH_LOOP_MS = 10_000;
const REPLACE_MAX_DELAY_MS = 30_000;

/** This repository's demo worker: the container's entrypoint, run from source. */
const DEMO_WORKER = [process.execPath, '--import', 'tsx', `${root}demo/worker/main.ts`];

/**
 * Worker processes on this machine, standing in for the ECS services the emulator cannot run.
 * Each runs the same command as the class's container. As an ECS service replaces a task that
 * stopped, a worker that exits on its own (a crash, an unhandled error) is replaced by a new one
 * with the same flags; one killed through the pool (`kill`, `stopAll`) is not.
 */
export class WorkerPool {
  private readonly workers = new Map<string, WorkerProcess>();
  private readonly killed = new Set<string>();
  private readonly replacements = new Set<NodeJS.Timeout>();
  private counter = 0;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    // Each run starts with fresh logs: tests and people read them for this run's workers only.
    rmSync(options.logDir, { recursive: true, force: true });
    mkdirSync(options.logDir, { recursive: true });
  }

  /** Starts a worker process; after `stopAll` the pool is closed and starts nothing. */
  start(capacity: Capacity, extraArgs: string[] = []): WorkerProcess | undefined {
    return this.launch(capacity, extraArgs, 0);
  }

  /** `start`, for a worker that replaces one after `replacedAfterMs` (0: a first start): its own replacement waits longer if it dies young. */
  private launch(capacity: Capacity, extraArgs: string[], replacedAfterMs: number): WorkerProcess | undefined {
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
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      this.workers.delete(id);
      if (this.killed.delete(id) || this.closed) return;
      const crashLoop = Date.now() - startedAt < CRASH_LOOP_MS;
      const delayMs = crashLoop ? Math.min(REPLACE_MAX_DELAY_MS, Math.max(1000, replacedAfterMs * 2)) : 0;
      const timer = setTimeout(() => {
        this.replacements.delete(timer);
        const replacement = this.launch(capacity, extraArgs, delayMs);
        (this.options.onReplaced ?? reportReplaced)(worker, signal ?? `code ${code}`, replacement);
      }, delayMs);
      this.replacements.add(timer);
    });
    return worker;
  }

  get running(): WorkerProcess[] {
    return [...this.workers.values()];
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (worker.process.exitCode !== null || worker.process.signalCode !== null) return;
    this.killed.add(worker.id);
    const exited = new Promise((resolve) => worker.process.once('exit', resolve));
    worker.process.kill(signal);
    await exited;
  }

  /** Closes the pool, then SIGTERM to all (they finish or release their jobs), SIGKILL after `graceMs`. */
  async stopAll(graceMs = 30_000): Promise<void> {
    this.closed = true;
    for (const timer of this.replacements) clearTimeout(timer);
    this.replacements.clear();
    const workers = this.running;
    const stopped = Promise.all(workers.map((w) => this.kill(w, 'SIGTERM')));
    if ((await Promise.race([stopped, sleep(graceMs, 'timeout')])) === 'timeout') {
      await Promise.all(workers.map((w) => this.kill(w, 'SIGKILL')));
    }
  }
}

function reportReplaced(exited: WorkerProcess, how: string, replacement: WorkerProcess | undefined): void {
  console.error(
    `[workers] ${exited.id} exited on its own (${how}; log: ${exited.logFile})` +
      (replacement ? `: ${replacement.id} started in its place` : ''),
  );
}
