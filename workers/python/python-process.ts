import { ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { delimiter } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../src/package-root.ts';
import type { ChildOutcome, JobContext } from '../job-handler.ts';
import { CHILDREN_PAGE } from '../workflow-context.ts';
import { errorOf, PythonProcessError } from './errors.ts';
import {
  type ChildMessage,
  encodeMessage,
  type OutcomeMessage,
  outcomeMessage,
  PROTOCOL_FD,
  PROTOCOL_FD_ENV,
  PROTOCOL_VERSION,
  parseChildMessage,
  type WorkerMessage,
} from './protocol.ts';

/**
 * The SDK in this checkout or installed package, found from this module rather than the working
 * directory, so a process started from anywhere imports `tailguard` with nothing installed. A
 * worker bundled into a lone file has no package around it: its image installs the SDK with pip.
 */
const SDK_PATH = ((): string | undefined => {
  try {
    return `${packageRoot(import.meta.url)}sdk/python`;
  } catch {
    return undefined;
  }
})();

export interface PythonProcessOptions {
  /** The command that starts the handler process, e.g. `['python3', 'handlers.py']`. */
  command: readonly [string, ...string[]];
  cwd?: string;
  /** Added to the worker's environment. */
  env?: Record<string, string | undefined>;
  /** How long a cancelled job's handler has to answer before the process is killed. */
  cancelGraceMs: number;
}

interface RunningJob {
  id: string;
  context: JobContext;
  settle: (outcome: Outcome) => void;
  /** Why the job was cancelled, once it was: the job fails with it, whatever the handler answers. */
  cancelledBy?: unknown;
  /** Why the handler's spawn was refused: the job fails with it, whatever the handler answers. */
  spawnRefused?: unknown;
  /** A join's children, as far as its handler has asked for them. */
  children?: AsyncIterator<ChildOutcome>;
  killTimer?: NodeJS.Timeout;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const LOG_METHODS = { debug: 'debug', info: 'info', warning: 'warn', error: 'error' } as const;

/**
 * One long-lived Python handler process, running one job at a time. It announces its job types,
 * then answers each job with a result or an error; a job it does not answer (it crashed, broke the
 * protocol, or ignored a cancel past the grace) fails with a PythonProcessError and the process is gone.
 */
export class PythonProcess {
  /** The job types the process serves, once it announced them; rejects if it ends first. */
  readonly ready: Promise<readonly string[]>;
  /** Settles when the process has ended, with how it ended. */
  readonly exited: Promise<string>;
  private readonly child: ChildProcess;
  private types: readonly string[] | undefined;
  private running: RunningJob | undefined;
  /** Why the worker killed the process, when it did. */
  private failure: PythonProcessError | undefined;
  private gone = false;
  private closing = false;

  constructor(private readonly options: PythonProcessOptions) {
    const [file, ...args] = options.command;
    const pythonPath = [options.env?.PYTHONPATH ?? process.env.PYTHONPATH, SDK_PATH].filter(Boolean).join(delimiter);
    this.child = spawn(file, args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        ...options.env,
        PYTHONPATH: pythonPath,
        PYTHONUNBUFFERED: '1',
        [PROTOCOL_FD_ENV]: String(PROTOCOL_FD),
      },
      // What handlers print goes to the worker's stderr: its stdout carries the structured log.
      stdio: ['pipe', 2, 'inherit', 'pipe'],
      // A group of its own: a terminal's Ctrl-C reaches the worker alone, which stops the process
      // in order, and a kill reaches what the handler started (data loader workers) too.
      detached: true,
    });
    let announce!: (types: readonly string[]) => void;
    let refuse!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      announce = resolve;
      refuse = reject;
    });
    this.exited = new Promise((resolve) => {
      const end = (how: string) => {
        if (this.gone) return;
        this.gone = true;
        const error = this.failure ?? new PythonProcessError(`the Python handler process ${how}`);
        refuse(error);
        this.settle({ ok: false, error });
        resolve(how);
      };
      this.child.once('exit', (code, signal) => end(signal ? `was killed by ${signal}` : `exited with code ${code}`));
      this.child.once('error', (error) => end(`failed: ${error.message}`));
    });
    // Writes to a process that just died fail with EPIPE; its exit settles what they were for.
    this.child.stdin?.on('error', () => undefined);
    const messages = this.child.stdio[PROTOCOL_FD];
    if (messages instanceof Socket) {
      createInterface({ input: messages, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        const message = parseChildMessage(line);
        if (!message) this.kill(`wrote a line that is not a protocol message: ${line.slice(0, 200)}`);
        else if (message.kind === 'ready') this.onReady(message.protocol, message.types, announce);
        else if (!this.types) this.kill(`sent a ${message.kind} message before it was ready`);
        else this.onJobMessage(message);
      });
    }
  }

  get alive(): boolean {
    return !this.gone;
  }

  /** Runs one job; the process must be ready and not running another. */
  run(type: string, payload: unknown, context: JobContext): Promise<unknown> {
    if (this.gone) return Promise.reject(this.failure ?? new PythonProcessError('the Python handler process ended'));
    if (this.running) return Promise.reject(new Error('a Python handler process runs one job at a time'));
    const { jobId, tenant, attempt, speculative, signal, payloadFile, parents } = context;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.cancel(running, signal.reason);
      const running: RunningJob = {
        id: jobId,
        context,
        settle: (outcome) => {
          signal.removeEventListener('abort', onAbort);
          if (outcome.ok) resolve(outcome.value);
          else reject(outcome.error);
        },
      };
      this.running = running;
      this.holdEventLoop(true);
      this.send({
        kind: 'job',
        id: jobId,
        type,
        tenant,
        payload,
        attempt,
        speculative,
        ...(payloadFile && { payloadFile }),
        ...(parents && {
          parents: Object.fromEntries(
            Object.entries(parents).map(([name, outcome]) => [name, outcomeMessage(outcome)]),
          ),
        }),
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends the process: a running job is cancelled, then the process gets the grace to exit before it is killed. */
  async close(): Promise<void> {
    if (this.gone || this.closing) {
      await this.exited;
      return;
    }
    this.closing = true;
    if (this.running) this.cancel(this.running, new PythonProcessError('the Python handler process was closed'));
    // End of input tells the SDK to exit once its job is done.
    this.child.stdin?.end();
    const timer = setTimeout(() => this.kill(), this.options.cancelGraceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private onReady(protocol: number, types: readonly string[], announce: (types: readonly string[]) => void): void {
    if (this.types) this.kill('announced itself twice');
    else if (protocol !== PROTOCOL_VERSION)
      this.kill(`speaks protocol version ${protocol}; this worker speaks ${PROTOCOL_VERSION}`);
    else {
      this.types = types;
      announce(types);
      this.holdEventLoop(false);
    }
  }

  private onJobMessage(message: Exclude<ChildMessage, { kind: 'ready' }>): void {
    // Progress and logs may cross a cancel on the way; only an answer for no job is a fault.
    const running = this.running?.id === message.id ? this.running : undefined;
    switch (message.kind) {
      case 'progress':
        running?.context.reportProgress(message.fraction);
        break;
      case 'log':
        running?.context.logger[LOG_METHODS[message.level]](message.message);
        break;
      case 'spawn':
        if (running) this.spawnFor(running, message.request);
        break;
      case 'children':
        if (running) void this.sendChildren(running);
        break;
      default:
        if (!running) this.kill(`answered job ${message.id}, which it was not running`);
        else if (message.kind === 'result' && message.file !== undefined) void this.settleWithFile(message.file);
        else if (message.kind === 'result') this.settle({ ok: true, value: message.value });
        else this.settle({ ok: false, error: errorOf(message) });
    }
  }

  /** The handler's spawn joins the attempt's effects; one refused fails the job when it answers. */
  private spawnFor(running: RunningJob, request: unknown): void {
    try {
      running.context.spawn(request as Parameters<JobContext['spawn']>[0]);
    } catch (error) {
      running.spawnRefused ??= error;
    }
  }

  /** The next page of a join's children, as the handler asked (its requests come one at a time). */
  private async sendChildren(running: RunningJob): Promise<void> {
    const { id } = running;
    try {
      const all = running.context.children;
      if (!all) throw new Error('only the join of a spawn has children');
      running.children ??= all()[Symbol.asyncIterator]();
      const children: OutcomeMessage<ChildOutcome>[] = [];
      while (children.length < CHILDREN_PAGE) {
        const next = await running.children.next();
        if (next.done) return this.send({ kind: 'children', id, children, done: true });
        children.push(outcomeMessage(next.value));
      }
      this.send({ kind: 'children', id, children, done: false });
    } catch (error) {
      this.send({ kind: 'children', id, children: [], done: true, error: String((error as Error).message ?? error) });
    }
  }

  /** A bytes result the SDK wrote to a file: read whole, then the file removed. */
  private async settleWithFile(path: string): Promise<void> {
    try {
      this.settle({ ok: true, value: await readFile(path) });
    } catch (error) {
      this.settle({ ok: false, error: new PythonProcessError(`the bytes result could not be read: ${error}`) });
    } finally {
      await rm(path, { force: true });
    }
  }

  private cancel(running: RunningJob, reason: unknown): void {
    if (running.cancelledBy !== undefined) return;
    running.cancelledBy = reason;
    this.send({ kind: 'cancel', id: running.id });
    running.killTimer = setTimeout(() => {
      running.context.logger.warn('the Python handler did not stop when cancelled: killing its process', {
        graceMs: this.options.cancelGraceMs,
      });
      this.kill(`did not stop within ${this.options.cancelGraceMs} ms of a cancel`);
    }, this.options.cancelGraceMs);
  }

  private settle(outcome: Outcome): void {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    this.holdEventLoop(false);
    clearTimeout(running.killTimer);
    if (running.cancelledBy !== undefined) running.settle({ ok: false, error: running.cancelledBy });
    else if (running.spawnRefused !== undefined && outcome.ok)
      running.settle({ ok: false, error: running.spawnRefused });
    else running.settle(outcome);
  }

  /**
   * The process keeps the worker's event loop alive while it starts or runs a job, but not while
   * idle: a worker that ends without close() still exits, and the process then reads the end of
   * its input and exits too.
   */
  private holdEventLoop(hold: boolean): void {
    for (const handle of [this.child, ...this.child.stdio]) {
      if (!(handle instanceof ChildProcess || handle instanceof Socket)) continue;
      if (hold) handle.ref();
      else handle.unref();
    }
  }

  private send(message: WorkerMessage): void {
    if (!this.gone && this.child.stdin?.writable) this.child.stdin.write(encodeMessage(message));
  }

  /** Kills the process and its group (what it started); `problem` says why, for the job it was running. */
  private kill(problem?: string): void {
    if (this.gone) return;
    if (problem) this.failure ??= new PythonProcessError(`the Python handler process ${problem}`);
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // Already gone: its exit is on the way.
    }
  }
}
