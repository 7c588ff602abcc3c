import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRetryable, JobCancelledError, NonRetryableError } from '../../src/jobs/model/index.ts';
import { HandlerRegistry, type JobContext, JobEffects } from '../job-handler.ts';
import { isAlive } from '../process-alive.ts';
import { PythonHandlerError, PythonProcessError } from './errors.ts';
import { type PythonHandlerOptions, type PythonHandlers, pythonHandlers } from './python-handlers.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const GRACE_MS = 300;

const opened: PythonHandlers[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((python) => python.close()));
});

function silentLogger(): Logger {
  return new Logger({ logLevel: 'SILENT' });
}

/** Starts the fixture's handlers, closed after the test. */
async function start(options: Partial<PythonHandlerOptions> = {}) {
  const registry = new HandlerRegistry();
  const python = await pythonHandlers(registry, {
    command: ['python3', join(FIXTURES, 'handlers.py')],
    cancelGraceMs: GRACE_MS,
    logger: silentLogger(),
    ...options,
  });
  opened.push(python);
  const run = (type: string, attempt: TestAttempt, payload?: unknown) => registry.get(type)!(payload, attempt.context);
  return { registry, python, run };
}

interface TestAttempt {
  context: JobContext;
  abort: AbortController;
  progress: number[];
  /** Resolves at the first progress report: the fixtures report 0 when they start. */
  started: Promise<void>;
}

function attempt(jobId = 'job-1'): TestAttempt {
  const abort = new AbortController();
  const progress: number[] = [];
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const context: JobContext = {
    jobId,
    type: 'test',
    tenant: 'acme',
    attempt: 2,
    speculative: true,
    workerId: 'worker-1',
    reportProgress: (fraction) => {
      progress.push(fraction);
      markStarted();
    },
    signal: abort.signal,
    logger: silentLogger(),
    effects: new JobEffects(),
    spawn: () => undefined,
  };
  return { context, abort, progress, started };
}

async function pidOf(run: (type: string, attempt: TestAttempt) => Promise<unknown>): Promise<number> {
  return ((await run('whoami', attempt('whoami'))) as { pid: number }).pid;
}

describe('pythonHandlers', () => {
  it('registers a handler for each job type the module declares', async () => {
    const { registry, python } = await start();
    expect(python.types).toContain('echo');
    expect(registry.types).toEqual(python.types);
  });

  it('runs a job and resolves with its result', async () => {
    const { run } = await start();
    await expect(run('echo', attempt('job-7'), { text: 'hello' })).resolves.toEqual({
      payload: { text: 'hello' },
      jobId: 'job-7',
      type: 'echo',
      tenant: 'acme',
      attempt: 2,
      speculative: true,
    });
  });

  it('hands a stored payload over as a file, and takes a bytes result back as a Buffer', async () => {
    // Prepare
    const { run } = await start();
    const folder = await mkdtemp(join(tmpdir(), 'tailguard-payload-'));
    const path = join(folder, 'payload');
    await writeFile(path, Buffer.from([1, 2, 3]));
    const job = attempt();
    job.context.payloadFile = { path, format: 'bytes' };
    // Act
    const result = await run('reverse', job);
    // Assess
    expect(result).toEqual(Buffer.from([3, 2, 1]));
    await rm(folder, { recursive: true });
  });

  it("passes the handler's spawn to context.spawn, before its result", async () => {
    // Prepare
    const { run } = await start();
    const job = attempt();
    const spawned: unknown[] = [];
    job.context.spawn = (request) => void spawned.push(request);
    // Act
    const result = await run('split', job, { n: 2 });
    // Assess
    expect(result).toEqual({ spawned: 2 });
    expect(spawned).toEqual([
      {
        children: [
          { type: 'square', payload: { x: 0 } },
          { type: 'square', payload: { x: 1 } },
        ],
        join: { type: 'sum' },
      },
    ]);
  });

  it('fails a job whose spawn the worker refused, whatever the handler answered', async () => {
    // Prepare
    const { run } = await start();
    const job = attempt();
    job.context.spawn = () => {
      throw new NonRetryableError('a job spawns once');
    };
    // Act
    const outcome = run('split', job, { n: 1 });
    // Assess
    await expect(outcome).rejects.toThrow('a job spawns once');
  });

  it("hands a join's children over a page at a time as the handler reads them", async () => {
    // Prepare: 250 children, x² each.
    const { run } = await start();
    const job = attempt();
    let pulled = 0;
    job.context.children = async function* () {
      for (let index = 0; index < 250; index++) {
        pulled++;
        yield { index, status: 'SUCCEEDED' as const, result: { x2: index * index } };
      }
    };
    // Act
    const result = await run('sum', job);
    // Assess
    expect(result).toEqual({ total: 5_177_125 });
    expect(pulled).toBe(250);
  });

  it("hands a workflow step its parents' outcomes by step name, a bytes result as bytes", async () => {
    // Prepare
    const { run } = await start();
    const job = attempt();
    job.context.parents = {
      split: { status: 'SUCCEEDED', result: { total: 285 } },
      thumb: { status: 'SUCCEEDED', result: Buffer.from([1, 2, 3]) },
      broken: { status: 'DEAD', error: 'boom' },
    };
    // Act
    const result = await run('parents', job);
    // Assess
    expect(result).toEqual({
      split: { status: 'SUCCEEDED', result: { total: 285 } },
      thumb: { status: 'SUCCEEDED', result: [1, 2, 3] },
      broken: { status: 'DEAD', error: 'boom' },
    });
  });

  it('hands a job without parents an empty ctx.parents', async () => {
    const { run } = await start();
    await expect(run('parents', attempt())).resolves.toEqual({});
  });

  it('fails a job that reads its children but is no join, for good', async () => {
    const { run } = await start();
    await expect(run('sum', attempt())).rejects.toThrow('only the join of a spawn has children');
    await expect(run('sum', attempt())).rejects.toSatisfy((error) => !isRetryable(error));
  });

  it('passes progress to reportProgress', async () => {
    const { run } = await start();
    const job = attempt();
    await expect(run('progress', job)).resolves.toBe('done');
    expect(job.progress).toEqual([0.25, 0.5, 1]);
  });

  it("passes log lines to the job's logger", async () => {
    const { run } = await start();
    const job = attempt();
    const warn = vi.spyOn(job.context.logger, 'warn');
    await run('log', job);
    expect(warn).toHaveBeenCalledWith('halfway there');
  });

  it('turns a Python NonRetryableError into a NonRetryableError', async () => {
    const { run } = await start();
    const error = await run('poison', attempt()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(isRetryable(error)).toBe(false);
    expect((error as Error).message).toBe('NonRetryableError: cannot parse the payload');
    expect((error as Error).stack).toContain('Traceback (most recent call last)');
  });

  it('turns any other exception into a retryable error that names it', async () => {
    const { run } = await start();
    const error = await run('flaky', attempt()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PythonHandlerError);
    expect(isRetryable(error)).toBe(true);
    expect(error).toMatchObject({ pythonName: 'ValueError', message: 'ValueError: the GPU is busy' });
  });

  it('cancels a job on abort: a handler that checks ctx.cancelled stops and its process stays', async () => {
    const { run } = await start();
    const pid = await pidOf(run);
    const job = attempt();
    const running = run('cooperative', job);
    await job.started;
    const reason = new JobCancelledError('job-1');
    job.abort.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(await pidOf(run)).toBe(pid);
  });

  it('cancels an async handler at its await', async () => {
    const { run } = await start();
    const job = attempt();
    const running = run('cooperative-async', job);
    await job.started;
    const reason = new JobCancelledError('job-1');
    job.abort.abort(reason);
    await expect(running).rejects.toBe(reason);
  });

  it('kills a handler that ignores the cancel after the grace, and runs the next job on a fresh process', async () => {
    const { run } = await start();
    const pid = await pidOf(run);
    const job = attempt();
    const warn = vi.spyOn(job.context.logger, 'warn');
    const running = run('stubborn', job);
    await job.started;
    const reason = new JobCancelledError('job-1');
    job.abort.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('did not stop'), { graceMs: GRACE_MS });
    expect(isAlive(pid)).toBe(false);
    const fresh = await pidOf(run);
    expect(fresh).not.toBe(pid);
  });

  it('fails a job whose process crashes with a retryable error, and runs the next on a fresh process', async () => {
    const { run } = await start();
    const pid = await pidOf(run);
    const error = await run('crash', attempt()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PythonProcessError);
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toContain('exited with code 1');
    expect(await pidOf(run)).not.toBe(pid);
  });

  it('fails a job whose process writes a line that is not the protocol, and replaces the process', async () => {
    const { run } = await start();
    const pid = await pidOf(run);
    const error = await run('garble', attempt()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PythonProcessError);
    expect((error as Error).message).toContain('not a protocol message: not json');
    expect(await pidOf(run)).not.toBe(pid);
  });

  it('keeps what handler modules print, even JSON, out of the protocol', async () => {
    const { python, run } = await start({ env: { FIXTURE_PRINT_AT_IMPORT: '1' } });
    expect(python.types).not.toContain('forged');
    await expect(run('noisy', attempt())).resolves.toBe('clean');
    await expect(run('echo', attempt(), 1)).resolves.toMatchObject({ payload: 1 });
  });

  it('imports the handler module (and loads its model) once per process', async () => {
    const { run } = await start();
    const first = await run('whoami', attempt('a'));
    const second = await run('whoami', attempt('b'));
    expect(first).toEqual(second);
    expect(first).toMatchObject({ loads: 1 });
  });

  it('runs jobs at once on several processes', async () => {
    const { run } = await start({ processes: 2 });
    const jobs = [attempt('a'), attempt('b')];
    const running = jobs.map((job) => run('cooperative', job));
    await Promise.all(jobs.map((job) => job.started));
    for (const job of jobs) job.abort.abort(new JobCancelledError(job.context.jobId));
    await Promise.allSettled(running);
  });

  it('queues a job while every process is busy, and drops it if aborted there', async () => {
    const { run } = await start();
    const first = attempt('first');
    const runningFirst = run('cooperative', first);
    await first.started;
    const waiting = attempt('waiting');
    const runningWaiting = run('progress', waiting);
    const dropped = attempt('dropped');
    const runningDropped = run('progress', dropped);
    const reason = new JobCancelledError('dropped');
    dropped.abort.abort(reason);
    await expect(runningDropped).rejects.toBe(reason);
    first.abort.abort(new JobCancelledError('first'));
    await expect(runningFirst).rejects.toThrow(JobCancelledError);
    await expect(runningWaiting).resolves.toBe('done');
    expect(dropped.progress).toEqual([]);
  });

  it('replaces a process that dies while idle', async () => {
    const logger = silentLogger();
    const ended = new Promise((resolve) => vi.spyOn(logger, 'warn').mockImplementation(() => resolve(undefined)));
    const { run } = await start({ logger });
    const pid = await pidOf(run);
    process.kill(pid, 'SIGKILL');
    await ended;
    expect(await pidOf(run)).not.toBe(pid);
  });

  it('starts a replacement that failed to start again later, while jobs wait for it', async () => {
    const logger = silentLogger();
    const failedToStart = new Promise((resolve) =>
      vi.spyOn(logger, 'error').mockImplementation(() => resolve(undefined)),
    );
    const dir = await mkdtemp(join(tmpdir(), 'tailguard-python-'));
    const gate = join(dir, 'fail');
    const { run } = await start({ logger, env: { FIXTURE_FAIL_IF_EXISTS: gate } });
    await writeFile(gate, '');
    await expect(run('crash', attempt())).rejects.toThrow(PythonProcessError);
    const waiting = run('echo', attempt(), 'after');
    await failedToStart;
    await rm(dir, { recursive: true });
    await expect(waiting).resolves.toMatchObject({ payload: 'after' });
  });

  it('fails to start when the handler module cannot be imported', async () => {
    const registry = new HandlerRegistry();
    const starting = pythonHandlers(registry, {
      command: ['python3', join(FIXTURES, 'broken.py')],
      logger: silentLogger(),
    });
    await expect(starting).rejects.toThrow(PythonProcessError);
    await expect(starting).rejects.toThrow('exited with code 1');
    expect(registry.types).toEqual([]);
  });

  it('fails to start when the command cannot be run', async () => {
    const starting = pythonHandlers(new HandlerRegistry(), { command: ['no-such-python3'], logger: silentLogger() });
    await expect(starting).rejects.toThrow('the Python handler process failed: spawn no-such-python3 ENOENT');
  });

  it('close() cancels a running job and stops the processes', async () => {
    const { python, run } = await start();
    const pid = await pidOf(run);
    const job = attempt();
    const running = run('cooperative', job);
    await job.started;
    const failure = running.catch((error: unknown) => error);
    await python.close();
    expect(await failure).toBeInstanceOf(PythonProcessError);
    expect(isAlive(pid)).toBe(false);
  });
});
