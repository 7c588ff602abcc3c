import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeApi, type FakeRoute, inTurn, JOB_ID, jobView, startFakeApi } from '../src/client/testing/fake-api.ts';
import { buildProgram } from './program.ts';

const servers: FakeApi[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function fakeApi(route: FakeRoute): Promise<FakeApi> {
  const api = await startFakeApi(route);
  servers.push(api);
  return api;
}

/** A directory without `.tailguard/`, or with one whose local.json holds `state`. */
function workDir(state?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'tailguard-cli-'));
  dirs.push(dir);
  if (state !== undefined) {
    mkdirSync(join(dir, '.tailguard'));
    writeFileSync(join(dir, '.tailguard', 'local.json'), JSON.stringify(state));
  }
  return dir;
}

interface Run {
  exitCode: number;
  out: string;
  err: string;
}

/** Runs the CLI as main.ts does, with its output, environment and directory captured. */
async function tailguard(args: string[], context: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const run: Run = { exitCode: 0, out: '', err: '' };
  const program = buildProgram({
    out: (text) => {
      run.out += text;
    },
    err: (text) => {
      run.err += text;
    },
    env: context.env ?? {},
    cwd: context.cwd ?? workDir(),
    progress: new PassThrough(),
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    run.exitCode = error.exitCode;
  }
  return run;
}

/** Submits answer 201 with a queued job; reads answer `finished`. */
const submitThen =
  (finished: Parameters<typeof jobView>[0]): FakeRoute =>
  (request) =>
    request.method === 'POST' ? { status: 201, body: jobView() } : { status: 200, body: jobView(finished) };

describe('tailguard CLI', () => {
  it('--help lists every command', async () => {
    const run = await tailguard(['--help']);

    expect(run.exitCode).toBe(0);
    for (const command of [
      'dev',
      'submit',
      'batch',
      'get',
      'watch',
      'cancel',
      'dlq',
      'stats',
      'workers',
      'health',
      'schedules',
      'tenants',
      'workflow',
      'dashboard',
    ])
      expect(run.out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  describe('workflow', () => {
    const WORKFLOW_ID = '9a1c3a9e-8d2b-4c6a-9e1f-2b3c4d5e6f70';
    const workflow = (status: string, steps: [string, string][]) => ({
      id: WORKFLOW_ID,
      status,
      tenant: 'default',
      cancelRequested: false,
      createdAt: '2026-12-06T10:00:00.000Z',
      finishedAt: status === 'RUNNING' ? null : '2026-12-06T10:00:05.000Z',
      steps: steps.map(([name, stepStatus], i) => ({
        name,
        type: 'noop',
        status: stepStatus,
        jobId: JOB_ID,
        attempts: stepStatus === 'PENDING' ? 0 : 1,
        result: null,
        error: null,
        dependsOn: i === 0 ? [] : ['a'],
        onParentFailure: 'fail',
      })),
    });

    it('get shows each step; cancel calls its route', async () => {
      // Prepare
      const api = await fakeApi((request) => ({
        status: request.method === 'POST' ? 202 : 200,
        body: workflow('RUNNING', [
          ['a', 'RUNNING'],
          ['b', 'PENDING'],
        ]),
      }));
      const cli = (...args: string[]) => tailguard(['--api', api.url, '--auth', 'none', 'workflow', ...args]);
      // Act
      const get = await cli('get', WORKFLOW_ID);
      const cancel = await cli('cancel', WORKFLOW_ID);
      // Assess
      expect(get.out).toMatch(new RegExp(`^b\\s+noop\\s+PENDING\\s+0\\s+a\\s+${JOB_ID}$`, 'm'));
      expect(cancel.out).toBe(`stopping its running steps: ${WORKFLOW_ID}\n`);
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET workflows/${WORKFLOW_ID}`,
        `POST workflows/${WORKFLOW_ID}/cancel`,
      ]);
    });

    it('watch prints each step as it moves, and exits 1 unless the workflow SUCCEEDED', async () => {
      // Prepare
      const api = await fakeApi(
        inTurn(
          {
            status: 200,
            body: workflow('RUNNING', [
              ['a', 'RUNNING'],
              ['b', 'PENDING'],
            ]),
          },
          {
            status: 200,
            body: workflow('FAILED', [
              ['a', 'DEAD'],
              ['b', 'SKIPPED'],
            ]),
          },
        ),
      );
      // Act
      const run = await tailguard(['--api', api.url, '--auth', 'none', 'workflow', 'watch', WORKFLOW_ID]);
      // Assess
      expect(run.out).toBe(`a  RUNNING\nb  PENDING\na  DEAD\nb  SKIPPED\nworkflow ${WORKFLOW_ID} FAILED\n`);
      expect(run.exitCode).toBe(1);
    });
  });

  describe('workflow submit', () => {
    const WORKFLOW_ID = '9a1c3a9e-8d2b-4c6a-9e1f-2b3c4d5e6f70';
    const definition = { steps: [{ name: 'a', type: 'noop' }] };

    /** `definition` in a file of a fresh directory. */
    function definitionFile(content: string = JSON.stringify(definition)): string {
      const file = join(workDir(), 'workflow.json');
      writeFileSync(file, content);
      return file;
    }

    /** `tailguard workflow submit <args>` against `api`. */
    const submit = (api: FakeApi, ...args: string[]) =>
      tailguard(['--api', api.url, '--auth', 'none', 'workflow', 'submit', ...args]);

    it('sends the file with --tenant over its own and --idempotency-key as the header, and prints the id', async () => {
      // Prepare
      const api = await fakeApi(() => ({ status: 201, body: { id: WORKFLOW_ID } }));
      const file = definitionFile(JSON.stringify({ ...definition, tenant: 'other' }));
      // Act
      const run = await submit(api, file, '--tenant', 'acme', '--idempotency-key', 'nightly-1');
      // Assess
      expect(run).toMatchObject({ exitCode: 0, out: `${WORKFLOW_ID}\n` });
      expect(api.requests).toEqual([
        expect.objectContaining({
          method: 'POST',
          path: 'workflows',
          body: { ...definition, tenant: 'acme' },
          headers: expect.objectContaining({ 'idempotency-key': 'nightly-1' }),
        }),
      ]);
    });

    it('with --wait prints the id, then each step as it moves, and exits 1 unless the workflow SUCCEEDED', async () => {
      // Prepare
      const view = (status: string, step: string) => ({
        status: 200,
        body: { id: WORKFLOW_ID, status, steps: [{ name: 'a', status: step }] } as unknown,
      });
      const api = await fakeApi(
        inTurn(
          { status: 201, body: { id: WORKFLOW_ID } as unknown },
          view('RUNNING', 'QUEUED'),
          view('FAILED', 'DEAD'),
        ),
      );
      // Act
      const run = await submit(api, definitionFile(), '--wait');
      // Assess
      expect(run.out).toBe(`${WORKFLOW_ID}\na  QUEUED\na  DEAD\nworkflow ${WORKFLOW_ID} FAILED\n`);
      expect(run.exitCode).toBe(1);
    });

    it.each([
      ['not JSON', '{"steps": [', /^INVALID_WORKFLOW: .* is not JSON/],
      ['not an object', '[]', /^INVALID_WORKFLOW: .* is not a JSON object/],
    ])('refuses a file that is %s before sending anything', async (_what, content, message) => {
      // Prepare
      const api = await fakeApi(() => ({ status: 201, body: { id: WORKFLOW_ID } }));
      // Act
      const run = await submit(api, definitionFile(content));
      // Assess
      expect(run.exitCode).toBe(1);
      expect(run.err).toMatch(message);
      expect(api.requests).toHaveLength(0);
    });

    it("prints the API's 400 naming the step", async () => {
      // Prepare
      const refusal = {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'invalid request',
          details: [{ path: 'steps.0.name', message: 'step a.join is named as spawned steps are' }],
        },
      };
      const api = await fakeApi(() => ({ status: 400, body: refusal }));
      // Act
      const run = await submit(api, definitionFile());
      // Assess
      expect(run.exitCode).toBe(1);
      expect(run.err).toContain('  steps.0.name: step a.join is named as spawned steps are');
    });
  });

  describe('schedules', () => {
    const view = {
      name: 'nightly',
      cron: 'cron(0 2 * * ? *)',
      rate: null,
      timezone: 'Europe/Berlin',
      state: 'ENABLED',
      overlap: 'bufferOne',
      job: { type: 'reindex', payload: { full: true }, priority: 'default', capacity: 'cpu' },
      startAt: null,
      endAt: null,
      createdAt: '2026-12-06T10:00:00.000Z',
      nextFires: ['2026-12-07T01:00:00.000Z'],
      recentJobs: [{ jobId: JOB_ID, fireTime: '2026-12-06T01:00:00.000Z', status: 'SUCCEEDED' }],
      skippedFires: [],
      bufferedFire: null,
    };

    it('add sends the schedule as POST /schedules and says when it fires next', async () => {
      // Prepare
      const api = await fakeApi(() => ({ status: 201, body: view }));
      // Act
      const run = await tailguard([
        ...['--api', api.url, '--auth', 'none', 'schedules', 'add', 'nightly', 'reindex'],
        ...['--cron', 'cron(0 2 * * ? *)', '--timezone', 'Europe/Berlin', '--payload', '{"full":true}'],
        ...['--overlap', 'bufferOne'],
      ]);
      // Assess
      expect(run).toMatchObject({ exitCode: 0, err: '' });
      expect(run.out).toBe('created: nightly; next fires 2026-12-07T01:00:00.000Z\n');
      expect(api.requests.map((r) => [r.method, r.path, r.body])).toEqual([
        [
          'POST',
          'schedules',
          {
            name: 'nightly',
            cron: 'cron(0 2 * * ? *)',
            timezone: 'Europe/Berlin',
            job: { type: 'reindex', payload: { full: true } },
            overlap: 'bufferOne',
          },
        ],
      ]);
    });

    it('ls shows each schedule with its next fire and its last job and status; pause, resume and rm call their routes', async () => {
      // Prepare
      const api = await fakeApi((request) =>
        request.method === 'DELETE'
          ? { status: 200, body: { name: 'nightly', deleted: true } }
          : { status: 200, body: request.path === 'schedules' ? { items: [view] } : view },
      );
      const cli = (...args: string[]) => tailguard(['--api', api.url, '--auth', 'none', 'schedules', ...args]);
      // Act
      const ls = await cli('ls');
      for (const command of ['pause', 'resume', 'rm']) await cli(command, 'nightly');
      // Assess
      expect(ls.out.split('\n')[1]).toMatch(
        new RegExp(
          `^nightly\\s+cron\\(0 2 \\* \\* \\? \\*\\) Europe/Berlin\\s+ENABLED\\s+reindex\\s+2026-12-07T01:00:00.000Z\\s+${JOB_ID} @ 2026-12-06T01:00:00.000Z\\s+SUCCEEDED$`,
        ),
      );
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET schedules',
        'POST schedules/nightly/pause',
        'POST schedules/nightly/resume',
        'DELETE schedules/nightly',
      ]);
    });
  });

  describe('tenants', () => {
    const acme = { tenant: 'acme', settings: { weight: 3, concurrency: 2 }, stored: { concurrency: 2 } };
    const stats = (tenants?: object[]) => ({ status: 200, body: { queues: [], ...(tenants && { tenants }) } });

    it('lists each tenant with its settings, and its load from GET /stats when the deployment has it', async () => {
      // Prepare
      const withLoad = await fakeApi((request) =>
        request.path === 'stats'
          ? stats([{ tenant: 'quiet', running: 1, queued: 4, waitP99Ms: 120 }])
          : { status: 200, body: { tenants: [acme] } },
      );
      const withoutLoad = await fakeApi((request) =>
        request.path === 'stats' ? stats() : { status: 200, body: { tenants: [acme] } },
      );

      // Act
      const loaded = await tailguard(['--api', withLoad.url, '--auth', 'none', 'tenants']);
      const bare = await tailguard(['--api', withoutLoad.url, '--auth', 'none', 'tenants']);

      // Assess
      expect(loaded).toMatchObject({ exitCode: 0, err: '' });
      expect(loaded.out.split('\n').slice(1, 3)).toEqual([
        expect.stringMatching(/^acme\s+3\s+2\s+-\s+-\s+-\s+-\s+-$/),
        expect.stringMatching(/^quiet\s+-\s+-\s+-\s+-\s+1\s+4\s+120 ms$/),
      ]);
      expect(bare.out.split('\n')[1]).toMatch(/^acme\s+3\s+2\s+-\s+-\s+-\s+-\s+-$/);
    });

    it('set sends the given settings as PUT /tenants/{tenant}; show and reset call their routes', async () => {
      // Prepare
      const api = await fakeApi((request) => ({
        status: 200,
        body: request.method === 'DELETE' ? { tenant: 'acme', settings: { weight: 1 }, deleted: true } : acme,
      }));
      const cli = (...args: string[]) => tailguard(['--api', api.url, '--auth', 'none', 'tenants', ...args]);

      // Act
      const set = await cli(
        'set',
        'acme',
        '--weight',
        '3',
        '--concurrency',
        '2',
        '--per-second',
        '0.5',
        '--max-queued',
        '100',
      );
      await cli('show', 'acme');
      const reset = await cli('reset', 'acme');
      const bad = await cli('set', 'acme', '--concurrency', '1.5');

      // Assess
      expect(set).toMatchObject({ exitCode: 0, err: '' });
      expect(set.out).toMatch(/^concurrency\s+2$/m);
      expect(reset.out).toBe('reset: acme\n');
      expect(bad.exitCode).not.toBe(0);
      expect(api.requests.map((r) => [r.method, r.path, r.body])).toEqual([
        ['PUT', 'tenants/acme', { weight: 3, concurrency: 2, perSecond: 0.5, maxQueued: 100 }],
        ['GET', 'tenants/acme', undefined],
        ['DELETE', 'tenants/acme', undefined],
      ]);
    });
  });

  describe('submit --wait', () => {
    it('prints the finished job and exits 0 when it SUCCEEDED', async () => {
      const api = await fakeApi(submitThen({ status: 'SUCCEEDED', attempts: 1, result: '{"ok":true}' }));

      const run = await tailguard(['--api', api.url, '--auth', 'none', 'submit', 'noop', '--wait']);

      expect(run).toMatchObject({ exitCode: 0, err: '' });
      expect(run.out).toMatch(/^status\s+SUCCEEDED$/m);
      expect(run.out).toMatch(/^result\s+\{"ok":true\}$/m);
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST jobs', `GET jobs/${JOB_ID}`]);
    });

    it('prints the job as JSON with --json and exits 1 when it ended DEAD', async () => {
      const api = await fakeApi(
        submitThen({ status: 'DEAD', error: { name: 'Poison', message: 'no', retryable: false } }),
      );

      const run = await tailguard(['submit', 'poison', '--wait', '--json', '--api', api.url, '--auth', 'none']);

      expect(run.exitCode).toBe(1);
      expect(JSON.parse(run.out)).toMatchObject({ id: JOB_ID, status: 'DEAD', error: { name: 'Poison' } });
      expect(run.err).toBe(`job ${JOB_ID} ended DEAD\n`);
    });
  });

  it('sends every submit option as the request and the Idempotency-Key header', async () => {
    const api = await fakeApi(() => ({ status: 200, body: jobView() }));

    const run = await tailguard(
      [
        ...['submit', 'resize', '--payload', '{"url":"s3://b/k"}', '--priority', 'high', '--capacity', 'gpu'],
        ...['--delay', '30', '--idempotency-key', 'order-1234'],
      ],
      { env: { TAILGUARD_API: api.url, TAILGUARD_AUTH: 'none' } },
    );

    expect(run.out).toBe(`already submitted with this key: ${JOB_ID}  noop  cpu-default  QUEUED\n`);
    expect(api.requests[0]).toMatchObject({
      body: { type: 'resize', payload: { url: 's3://b/k' }, priority: 'high', capacity: 'gpu', delaySeconds: 30 },
      headers: { 'idempotency-key': 'order-1234' },
    });
  });

  it('takes every field of POST /jobs as an option, derived from the request schema', async () => {
    // Prepare
    const api = await fakeApi(() => ({ status: 201, body: jobView() }));
    const backoff = { strategy: 'linear', baseSeconds: 2, maxSeconds: 60, jitter: 'none' };

    // Act
    await tailguard(
      [
        ...['submit', 'resize', '--max-attempts', '7', '--timeout-seconds', '90', '--backoff', JSON.stringify(backoff)],
        ...['--run-at', '2030-01-01T00:00:00Z', '--speculation', 'false', '--payload-ref', 'tgu_default_x'],
      ],
      { env: { TAILGUARD_API: api.url, TAILGUARD_AUTH: 'none' } },
    );

    // Assess
    expect(api.requests[0]?.body).toEqual({
      type: 'resize',
      maxAttempts: 7,
      timeoutSeconds: 90,
      backoff,
      runAt: '2030-01-01T00:00:00Z',
      speculation: false,
      payloadRef: 'tgu_default_x',
    });
  });

  it('writes a result kept in the payload bucket to --result-out, fetched from its resultUrl', async () => {
    // Prepare
    const stored = { embeddings: [0.1, 0.2] };
    const out = join(workDir(), 'result.json');
    let url = '';
    const api = await fakeApi((request) =>
      request.path === 'objects/result'
        ? { status: 200, body: stored }
        : {
            status: 200,
            body: {
              ...jobView({ status: 'SUCCEEDED', resultObject: { key: 'results/j/c', bytes: 28, format: 'json' } }),
              resultUrl: url,
            },
          },
    );
    url = `${api.url}objects/result`;

    // Act
    const run = await tailguard(['get', JOB_ID, '--result-out', out], {
      env: { TAILGUARD_API: api.url, TAILGUARD_AUTH: 'none' },
    });

    // Assess
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(stored);
  });

  it('prints an API error as `code: message` with one line per detail, and exits 1', async () => {
    const api = await fakeApi(() => ({
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'invalid request: priority: Invalid option',
          details: [{ path: 'priority', message: 'Invalid option' }],
        },
      },
    }));

    const run = await tailguard(['--api', api.url, '--auth', 'none', 'get', JOB_ID]);

    expect(run).toMatchObject({ exitCode: 1, out: '' });
    expect(run.err).toBe('VALIDATION_FAILED: invalid request: priority: Invalid option\n  priority: Invalid option\n');
  });

  describe('which API it talks to', () => {
    const env = (url: string) => ({ TAILGUARD_API: url, TAILGUARD_AUTH: 'none' });

    it('--api first, then TAILGUARD_API, then .tailguard/local.json in the current directory', async () => {
      const [flag, fromEnv, local] = await Promise.all(
        [0, 1, 2].map(() => fakeApi(() => ({ status: 200, body: jobView() }))),
      );
      const cwd = workDir({ apiUrl: local!.url, auth: 'none', endpoint: 'http://localhost:4566' });

      await tailguard(['--api', flag!.url, 'get', JOB_ID], { env: env(fromEnv!.url), cwd });
      await tailguard(['get', JOB_ID], { env: env(fromEnv!.url), cwd });
      await tailguard(['get', JOB_ID], { cwd });

      expect([flag, fromEnv, local].map((api) => api!.requests.length)).toEqual([1, 1, 1]);
    });

    it('sends TAILGUARD_API_KEY as x-api-key with auth api-key', async () => {
      const api = await fakeApi(() => ({ status: 200, body: jobView() }));

      await tailguard(['get', JOB_ID], {
        env: { TAILGUARD_API: api.url, TAILGUARD_AUTH: 'api-key', TAILGUARD_API_KEY: 'k-123' },
      });

      expect(api.requests[0]!.headers['x-api-key']).toBe('k-123');
    });

    it('says how to name an API when there is none', async () => {
      const run = await tailguard(['stats']);

      expect(run.exitCode).toBe(1);
      expect(run.err).toMatch(/^NO_API: no API to talk to: pass --api <url>, set TAILGUARD_API/);
    });

    it('names the fields of an unusable local.json', async () => {
      const run = await tailguard(['stats'], { cwd: workDir({ apiUrl: 'not a url', auth: 'kerberos' }) });

      expect(run.exitCode).toBe(1);
      expect(run.err).toMatch(
        /^INVALID_LOCAL_STATE: .*local\.json does not say which API to use\n {2}apiUrl: .+\n {2}auth: /,
      );
    });
  });

  describe('batch', () => {
    /** Answers each job of a batch by its type: `bad` refused with 400, any other created. */
    const batchApi: FakeRoute = (request) => {
      if (request.method === 'GET') return { status: 200, body: jobView({ status: 'SUCCEEDED' }) };
      const { jobs } = request.body as { jobs: { type: string }[] };
      const items = jobs.map((job) =>
        job.type === 'bad'
          ? { status: 400, error: { code: 'VALIDATION_FAILED', message: 'invalid request: type: bad', details: [] } }
          : { status: 201, job: jobView({ type: job.type }) },
      );
      return { status: 200, body: { items } };
    };

    it('submits every line of a JSON Lines file in one call and waits for all with --wait', async () => {
      const api = await fakeApi(batchApi);
      const dir = workDir();
      writeFileSync(join(dir, 'jobs.jsonl'), '{"type":"a"}\n\n{"type":"b","priority":"high"}\n');

      const run = await tailguard(['--api', api.url, '--auth', 'none', 'batch', join(dir, 'jobs.jsonl'), '--wait']);

      expect(run.exitCode).toBe(0);
      expect(api.requests[0]).toMatchObject({
        method: 'POST',
        path: 'jobs/batch',
        body: { jobs: [{ type: 'a' }, { type: 'b', priority: 'high' }] },
      });
      expect(run.out).toContain('2 jobs: 2 submitted, 0 already submitted with their key, 0 refused');
      expect(run.out).toContain('2 finished: 2 SUCCEEDED');
    });

    it('names each refused job by its line and exits 1', async () => {
      const api = await fakeApi(batchApi);
      const dir = workDir();
      writeFileSync(join(dir, 'jobs.jsonl'), '{"type":"a"}\n{"type":"bad"}\n');

      const run = await tailguard(['--api', api.url, '--auth', 'none', 'batch', join(dir, 'jobs.jsonl')]);

      expect(run.exitCode).toBe(1);
      expect(run.out).toMatch(/line 2\s+400\s+VALIDATION_FAILED/);
      expect(run.err).toContain('1 refused');
    });

    it('sends nothing when a line is not a JSON object, and names the line', async () => {
      const api = await fakeApi(batchApi);
      const dir = workDir();
      writeFileSync(join(dir, 'jobs.jsonl'), '{"type":"a"}\n[1]\n{oops\n');

      const run = await tailguard(['--api', api.url, '--auth', 'none', 'batch', join(dir, 'jobs.jsonl')]);

      expect(run.exitCode).toBe(1);
      expect(run.err).toContain('line 2: not a JSON object');
      expect(run.err).toContain('line 3:');
      expect(api.requests).toHaveLength(0);
    });
  });

  it('watch ends with the final status line', async () => {
    const api = await fakeApi(
      inTurn(
        { status: 200, body: jobView({ status: 'RUNNING', attempts: 1 }) },
        { status: 200, body: jobView({ status: 'CANCELLED', attempts: 1 }) },
      ),
    );

    const run = await tailguard(['--api', api.url, '--auth', 'none', 'watch', JOB_ID]);

    expect(run.out).toBe(`${JOB_ID}  noop  cpu-default  CANCELLED\n`);
    expect(run.exitCode).toBe(1);
  });

  it("jobs ls lists one tenant's jobs in one state, a table with their tenant", async () => {
    const api = await fakeApi(() => ({
      status: 200,
      body: { items: [jobView({ status: 'RUNNING', tenant: 'acme' })], cursor: null },
    }));

    const run = await tailguard([
      '--api',
      api.url,
      '--auth',
      'none',
      'jobs',
      'ls',
      '--status',
      'RUNNING',
      '--tenant',
      'acme',
    ]);

    expect(api.requests.map((r) => `${r.path}?${r.query}`)).toEqual(['jobs?status=RUNNING&tenant=acme&limit=25']);
    expect(run.out.split('\n')[0]).toMatch(/^id +type +tenant +queue +status/);
    expect(run.out.split('\n')[1]).toContain('  acme  ');
  });

  it('dlq ls pages through dead jobs up to --limit and prints them as JSON', async () => {
    const dead = (n: number) => jobView({ id: `00000000-0000-4000-8000-00000000000${n}`, status: 'DEAD' });
    const api = await fakeApi((request) => ({
      status: 200,
      body: request.query.has('cursor')
        ? { items: [dead(3), dead(4)], cursor: 'c3' }
        : { items: [dead(1), dead(2)], cursor: 'c2' },
    }));

    const run = await tailguard([
      '--api',
      api.url,
      '--auth',
      'none',
      '--json',
      'dlq',
      'ls',
      '--capacity',
      'gpu',
      '--limit',
      '3',
    ]);

    expect((JSON.parse(run.out) as { id: string }[]).map((job) => job.id.slice(-1))).toEqual(['1', '2', '3']);
    expect(api.requests.map((r) => r.query.toString())).toEqual([
      'capacity=gpu&limit=3',
      'capacity=gpu&limit=3&cursor=c2',
    ]);
  });

  it('stats --json prints the live queues of GET /stats as the API answered them', async () => {
    // Prepare
    const depth = { visible: 2, inFlight: 1, delayed: 0, deadLettered: 0 };
    const stats = {
      queues: { 'cpu-critical': depth },
      running: { cpu: 1, gpu: 0 },
      dead: { cpu: 0, gpu: 0 },
      workers: [],
    };
    const api = await fakeApi(() => ({ status: 200, body: stats }));
    // Act
    const run = await tailguard(['--api', api.url, '--auth', 'none', 'stats', '--json']);
    // Assess
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.out)).toEqual(stats);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET stats']);
  });

  it('stats prints the busiest tenants: running, queued and wait p99', async () => {
    // Prepare
    const stats = {
      queues: {},
      running: { cpu: 0, gpu: 0 },
      dead: { cpu: 0, gpu: 0 },
      workers: [],
      tenants: [
        { tenant: 'flood', running: 6, queued: 9500, waitP99Ms: 84_000 },
        { tenant: 'quiet-1', running: 0, queued: 0, waitP99Ms: null },
      ],
    };
    const api = await fakeApi(() => ({ status: 200, body: stats }));
    // Act
    const run = await tailguard(['--api', api.url, '--auth', 'none', 'stats']);
    // Assess
    expect(run.out.split('\n').slice(-4)).toEqual([
      'tenant   running  queued  wait p99',
      'flood    6        9500    84000 ms',
      'quiet-1  0        0       -',
      '',
    ]);
  });

  it('stats prints the limited job types, with the slots held now', async () => {
    // Prepare
    const stats = {
      queues: {},
      running: { cpu: 0, gpu: 0 },
      dead: { cpu: 0, gpu: 0 },
      workers: [],
      limits: { render: { concurrency: 2, running: 1 }, 'mail.send': { perSecond: 0.5 } },
    };
    const api = await fakeApi(() => ({ status: 200, body: stats }));
    // Act
    const run = await tailguard(['--api', api.url, '--auth', 'none', 'stats']);
    // Assess
    expect(run.out.split('\n').slice(-4)).toEqual([
      'limited type  concurrency  per second  running',
      'render        2            -           1',
      'mail.send     -            0.5         -',
      '',
    ]);
  });

  it('stats prints the queues where jobs waited for their message past the grace, and the fresh messages sent', async () => {
    // Prepare
    const stats = {
      queues: {},
      running: { cpu: 0, gpu: 0 },
      dead: { cpu: 0, gpu: 0 },
      workers: [],
      messageChecks: {
        'gpu-low': {
          waitingPastGrace: 1000,
          oldestWaitMs: 7400,
          observedAt: '2030-01-01T00:00:09.000Z',
          resentTotal: 1000,
          lastResentAt: '2030-01-01T00:00:08.000Z',
          lastResentJobs: 1000,
        },
      },
    };
    const api = await fakeApi(() => ({ status: 200, body: stats }));
    // Act
    const run = await tailguard(['--api', api.url, '--auth', 'none', 'stats']);
    // Assess
    expect(run.out.split('\n').slice(-3)).toEqual([
      'waiting for a message  past grace  longest wait  seen                      re-sent  last re-sent',
      'gpu-low                1000        7 s           2030-01-01T00:00:09.000Z  1000     2030-01-01T00:00:08.000Z (1000)',
      '',
    ]);
  });

  it('health prints each check and exits 0 when the API reaches the table and the queues', async () => {
    // Prepare
    const api = await fakeApi(() => ({
      status: 200,
      body: { status: 'ok', checks: { jobsTable: 'ok', queues: 'ok' } },
    }));
    // Act
    const run = await tailguard(['--api', api.url, '--auth', 'none', 'health']);
    // Assess
    expect(run).toMatchObject({ exitCode: 0, err: '', out: 'ok\n  jobsTable: ok\n  queues: ok\n' });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET health']);
  });

  it('health --json prints a degraded answer (503) as the API gave it and exits 1', async () => {
    // Prepare
    const degraded = { status: 'degraded', checks: { jobsTable: 'failing', queues: 'ok' } };
    const api = await fakeApi(() => ({ status: 503, body: degraded }));
    // Act
    const run = await tailguard(['--api', api.url, '--auth', 'none', 'health', '--json']);
    // Assess
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.out)).toEqual(degraded);
    expect(run.err).toContain('the API is degraded');
  });

  it('workers prints the live workers of GET /stats as a table', async () => {
    const worker = {
      workerId: 'local-gpu-1',
      capacity: 'gpu',
      speed: 0.5,
      onProbation: true,
      slots: 1,
      running: 1,
      startedAt: '2026-05-01T10:00:00.000Z',
      lastSeenAt: '2026-05-01T10:05:00.000Z',
    };
    const api = await fakeApi(() => ({ status: 200, body: { workers: [worker] } }));

    const run = await tailguard(['--api', api.url, '--auth', 'none', 'workers']);

    expect(run.out.split('\n')).toEqual([
      'worker       class  speed  probation  running  last seen',
      'local-gpu-1  gpu    0.50   yes        1 of 1   2026-05-01T10:05:00.000Z',
      '',
    ]);
  });
});
