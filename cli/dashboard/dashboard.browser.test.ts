import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TailguardClient } from '../../src/client/index.ts';
import { type FakeApi, jobView, startFakeApi } from '../../src/client/testing/fake-api.ts';
import type { WorkflowView } from '../../src/contract/views.ts';
import type { AttemptRecord, Job } from '../../src/jobs/model/index.ts';
import { CHROMIUM_PATH, hasChromium, launchChromium, watchedPage } from '../../test/helpers/chromium.ts';
import { type Dashboard, startDashboard } from './dashboard-server.ts';

const RUNNING_ID = '11111111-1111-4111-8111-111111111111';
const RACING_ID = '22222222-2222-4222-8222-222222222222';
const DEAD_ID = '33333333-3333-4333-8333-333333333333';
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

/** A running job's fields: `attempts` as its log, each open one with a lease reporting `progress`. */
function running(
  id: string,
  attempts: Omit<AttemptRecord, 'claimId' | 'startedAt'>[],
  progress?: number,
): Partial<Job> {
  const attemptLog = attempts.map((a, i) => ({ ...a, claimId: `c${i}`, startedAt: ago(30 - 10 * i) }));
  const leases = Object.fromEntries(
    attemptLog
      .filter((a) => !a.finishedAt)
      .map((a) => [a.claimId, { workerId: a.workerId, attempt: a.attempt, startedAt: 0, expiresAt: 0, progress }]),
  );
  return { id, status: 'RUNNING', attempts: 1, attemptLog, leases };
}

const runningJob = running(RUNNING_ID, [{ attempt: 1, workerId: 'local-cpu-1' }], 0.4);
const racingJob = running(RACING_ID, [
  { attempt: 1, workerId: 'local-cpu-slow' },
  { attempt: 2, workerId: 'local-cpu-2', speculative: true },
]);
const deadJob: Partial<Job> = {
  id: DEAD_ID,
  type: 'poison',
  priority: 'low',
  status: 'DEAD',
  attempts: 1,
  finishedAt: ago(60),
  error: { name: 'NonRetryableError', message: 'poisoned', retryable: false },
  attemptLog: [
    { attempt: 1, claimId: 'c1', workerId: 'local-gpu-1', startedAt: ago(61), finishedAt: ago(60), outcome: 'failed' },
  ],
};

const worker = (workerId: string, capacity: 'cpu' | 'gpu', fields = {}) => ({
  workerId,
  capacity,
  speed: 1,
  onProbation: false,
  slots: 8,
  running: 1,
  startedAt: ago(600),
  lastSeenAt: ago(1),
  ...fields,
});

const depth = { visible: 0, inFlight: 0, delayed: 0, deadLettered: 0 };
const stats = {
  queues: {
    'cpu-critical': { ...depth, visible: 7, inFlight: 2 },
    'cpu-high': depth,
    'cpu-default': depth,
    'cpu-low': { ...depth, deadLettered: 1 },
    'gpu-critical': depth,
    'gpu-high': depth,
    'gpu-default': { ...depth, delayed: 3 },
    'gpu-low': depth,
  },
  running: { cpu: 2, gpu: 0 },
  dead: { cpu: 0, gpu: 1 },
  workers: [
    worker('local-cpu-1', 'cpu'),
    worker('local-cpu-slow', 'cpu', { speed: 0.12, onProbation: true, slots: 1 }),
    worker('local-gpu-1', 'gpu', { running: 0 }),
  ],
  tenants: [
    { tenant: 'flood', running: 6, queued: 9500, waitP99Ms: 84_000 },
    { tenant: 'quiet-1', running: 1, queued: 0, waitP99Ms: 412 },
    { tenant: 'gone-quiet', running: 0, queued: 0, waitP99Ms: null },
  ],
  messageChecks: {
    'gpu-low': {
      waitingPastGrace: 21,
      oldestWaitMs: 301_000,
      observedAt: ago(5),
      resentTotal: 21,
      lastResentAt: ago(5),
      lastResentJobs: 21,
    },
  },
  generatedAt: ago(0),
};

/** One schedule whose latest fire made the running job. */
const schedules = {
  items: [
    {
      name: 'nightly-reindex',
      cron: 'cron(0 2 * * ? *)',
      rate: null,
      timezone: 'Europe/Berlin',
      state: 'ENABLED',
      overlap: 'skip',
      job: { type: 'reindex', payload: null, priority: 'default', capacity: 'cpu' },
      startAt: null,
      endAt: null,
      createdAt: ago(86_400),
      nextFires: ['2026-12-07T01:00:00.000Z'],
      recentJobs: [{ jobId: RUNNING_ID, fireTime: '2026-12-06T01:00:00.000Z', status: 'RUNNING' }],
      skippedFires: [],
      bufferedFire: null,
    },
  ],
};

const WORKFLOW_ID = '44444444-4444-4444-8444-444444444444';
/** Step job ids: any UUID the page can link. */
const stepJobId = (i: number) => `55555555-5555-4555-8555-${String(i).padStart(12, '0')}`;

/** A step as GET /workflows/{id} shows it, run from `from` to `to` seconds ago (`to` null: running). */
function step(
  name: string,
  status: WorkflowView['steps'][number]['status'],
  times: [from: number, to: number | null] | null,
  fields: Partial<WorkflowView['steps'][number]> = {},
): WorkflowView['steps'][number] {
  return {
    name,
    type: 'noop',
    status,
    jobId: stepJobId(name.length * 1000 + name.charCodeAt(name.length - 1)),
    attempts: times ? 1 : 0,
    startedAt: times ? ago(times[0]) : null,
    finishedAt: times?.[1] ? ago(times[1]) : null,
    result: null,
    error: null,
    dependsOn: [],
    onParentFailure: 'fail',
    spawnedBy: null,
    ...fields,
  };
}

/**
 * a → (b, split) → report, split spawning 120 `square` children and their join: split.7 ran 20 s,
 * the others 1 s or running for 5 s, so the critical path is a → split → split.7.
 */
const runningWorkflow: WorkflowView = {
  id: WORKFLOW_ID,
  status: 'RUNNING',
  tenant: 'acme',
  cancelRequested: false,
  createdAt: ago(61),
  finishedAt: null,
  steps: [
    step('a', 'SUCCEEDED', [60, 58]),
    step('b', 'SUCCEEDED', [58, 55], { dependsOn: ['a'] }),
    step('split', 'SUCCEEDED', [58, 57], { type: 'split', dependsOn: ['a'] }),
    ...Array.from({ length: 120 }, (_, i) =>
      step(`split.${i}`, i >= 110 ? 'RUNNING' : 'SUCCEEDED', i === 7 ? [57, 37] : i >= 110 ? [5, null] : [57, 56], {
        type: 'square',
        spawnedBy: 'split',
        jobId: stepJobId(i),
      }),
    ),
    step('report', 'PENDING', null, { dependsOn: ['b', 'split'] }),
    step('split.join', 'PENDING', null, { type: 'sum', spawnedBy: 'split' }),
  ],
};
/** What GET /workflows/{id} answers now: the test moves it on. */
let workflowNow = runningWorkflow;
/** The job of step a, which links back to its workflow. */
const stepJob = jobView({
  id: runningWorkflow.steps[0]!.jobId,
  status: 'SUCCEEDED',
  workflow: { id: WORKFLOW_ID, step: 'a' },
});

/** The API as the test stack would answer, from fixed data; a requeue answers the job QUEUED. */
function stackApi(request: { method: string; path: string; query: URLSearchParams }) {
  const { method, path, query } = request;
  if (method === 'GET' && path === 'stats') return { status: 200, body: stats };
  if (method === 'GET' && path === 'jobs' && query.get('status') === 'RUNNING') {
    const items = query.get('capacity') === 'cpu' ? [jobView(runningJob), jobView(racingJob)] : [];
    return { status: 200, body: { items, cursor: null } };
  }
  if (method === 'GET' && path === 'schedules') return { status: 200, body: schedules };
  if (method === 'GET' && path === 'dlq') return { status: 200, body: { items: [jobView(deadJob)], cursor: null } };
  if (method === 'GET' && path === `jobs/${RACING_ID}`) return { status: 200, body: jobView(racingJob) };
  if (method === 'GET' && path === `jobs/${stepJob.id}`) return { status: 200, body: stepJob };
  if (method === 'GET' && path === `workflows/${WORKFLOW_ID}`) return { status: 200, body: workflowNow };
  if (method === 'POST' && path === `workflows/${WORKFLOW_ID}/cancel`) {
    return { status: 202, body: { ...workflowNow, cancelRequested: true } };
  }
  if (method === 'POST' && path === `dlq/${DEAD_ID}/requeue`) {
    return { status: 200, body: jobView({ ...deadJob, status: 'QUEUED', attempts: 0 }) };
  }
  return { status: 404, body: { error: { code: 'NOT_FOUND', message: `${method} ${path}`, details: [] } } };
}

/** Waits (up to 10 s) for the page to show what `read` looks for: the page polls every 2 s. */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 100 });

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'dashboard in headless Chromium, against the fake API'
    : `dashboard in headless Chromium — SKIPPED: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
  () => {
    let api: FakeApi;
    let dashboard: Dashboard;
    let browser: Browser;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      api = await startFakeApi(stackApi);
      dashboard = await startDashboard({ client: new TailguardClient({ baseUrl: api.url }), apiUrl: api.url, port: 0 });
      browser = await launchChromium();
      ({ page, problems } = await watchedPage(browser));
      await page.goto(dashboard.url);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await dashboard?.close();
      await api?.close();
    });

    it('shows every queue with its depths, and the running and dead jobs per class', async () => {
      // Assess
      await eventually(() => page.locator('#queues tbody tr').count()).toBe(8);
      expect(await page.locator('#queues tr[data-queue="cpu-critical"] td').allTextContents()).toEqual([
        'cpu-critical',
        '7',
        '2',
        '0',
        '0',
      ]);
      expect(await page.locator('#queues tr[data-queue="gpu-default"] td').nth(3).textContent()).toBe('3');
      expect(await page.locator('#classes tr[data-class="cpu"] td').allTextContents()).toEqual(['cpu', '2', '0', '2']);
      expect(await page.locator('#api').textContent()).toBe(api.url);
    });

    it('shows the queues where jobs waited for their message past the grace, and the fresh messages sent', async () => {
      // Assess
      await eventually(() => page.locator('#message-checks tbody tr').count()).toBe(1);
      const cells = await page.locator('#message-checks tr[data-queue="gpu-low"] td').allTextContents();
      expect([cells[0], cells[1], cells[2], cells[4]]).toEqual(['gpu-low', '21', '301 s', '21']);
      expect(cells[5]).toMatch(/\(21\)$/);
    });

    it('shows the workers with speed, probation, slots and load', async () => {
      // Assess
      await eventually(() => page.locator('#workers tbody tr').count()).toBe(3);
      const slow = page.locator('#workers tr[data-worker="local-cpu-slow"]');
      expect(await slow.locator('td').nth(2).textContent()).toBe('0.12');
      expect(await slow.textContent()).toContain('on probation');
      expect(await page.locator('#workers tr[data-worker="local-gpu-1"] [role=progressbar]').textContent()).toBe(
        '0 of 8',
      );
    });

    it('shows the busiest tenants in the order GET /stats gives: running, queued, wait p99', async () => {
      // Assess
      await eventually(() => page.locator('#tenants tbody tr').count()).toBe(3);
      const rows = await page
        .locator('#tenants tr[data-tenant]')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(rows).toEqual([
        ['flood', '6', '9500', '84.0 s'],
        ['quiet-1', '1', '0', '412 ms'],
        ['gone-quiet', '0', '0', '–'],
      ]);
    });

    it('shows each schedule with its next fire, and the job of its latest fire with its status', async () => {
      // Assess
      const row = page.locator('#schedules tr[data-schedule="nightly-reindex"] td');
      await eventually(() => row.count()).toBe(7);
      expect(await row.allTextContents()).toEqual([
        'nightly-reindex',
        'cron(0 2 * * ? *) Europe/Berlin',
        'ENABLED',
        'reindex',
        '2026-12-07T01:00:00.000Z',
        RUNNING_ID.slice(0, 8),
        'RUNNING',
      ]);
    });

    it('shows running jobs with a progress bar, and the straggler racing its backup', async () => {
      // Assess
      const bar = page.locator(`#running tr[data-job="${RUNNING_ID}"] [role=progressbar]`);
      await eventually(() => bar.getAttribute('aria-valuenow')).toBe('40');
      expect(await page.locator(`#running tr[data-job="${RUNNING_ID}"]`).textContent()).toContain('local-cpu-1');
      const race = page.locator(`#races tr[data-race="${RACING_ID}-2"] td`);
      expect(await race.allTextContents()).toEqual([
        RACING_ID.slice(0, 8),
        'noop',
        'local-cpu-slow #1 running',
        'local-cpu-2 #2 running',
        'racing',
      ]);
    });

    it('requeues a dead job with its button: POST /dlq/{id}/requeue, and says it is queued', async () => {
      // Prepare
      const button = page.locator(`#dead button[data-requeue="${DEAD_ID}"]`);
      await button.waitFor();
      expect(await page.locator('#redrive button').allTextContents()).toEqual(['Redrive cpu-low']);
      // Act
      await button.click();
      // Assess
      await eventually(() => page.locator('#notice').textContent()).toBe('requeue 33333333: now QUEUED');
      expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([`dlq/${DEAD_ID}/requeue`]);
    });

    it('lists the dead jobs of the queue picked', async () => {
      // Act
      await page.locator('#dead-queue').selectOption('gpu-low');
      // Assess
      await eventually(async () =>
        api.requests.some((r) => r.path === 'dlq' && r.query.toString() === 'capacity=gpu&priority=low&limit=100'),
      ).toBe(true);
    });

    it('shows a job page with one timeline lane per attempt', async () => {
      // Act
      await page.goto(`${dashboard.url}#/jobs/${RACING_ID}`);
      // Assess
      await eventually(() => page.locator('#timeline [data-attempt]').count()).toBe(2);
      expect(await page.locator('#timeline .lane-label').allTextContents()).toEqual([
        '#1 local-cpu-slow',
        '#2 local-cpu-2 (backup)',
      ]);
      expect(await page.locator('#overview').isHidden()).toBe(true);
      expect(await page.locator('#job-actions button').allTextContents()).toEqual(['Cancel']);
    });

    it("opens a workflow by id: its steps, and the critical path through the spawn's slowest child highlighted", async () => {
      // Prepare
      await page.goto(dashboard.url);
      // Act
      await page.locator('#open-workflow input').fill(WORKFLOW_ID);
      await page.locator('#open-workflow button').click();
      // Assess
      await eventually(() => page.locator('#steps tbody tr').count()).toBe(5);
      expect(await page.locator('#workflow-title').textContent()).toBe(`${WORKFLOW_ID} RUNNING`);
      expect(await page.locator('#steps tr[data-step="b"] td').allTextContents()).toEqual([
        'b',
        'noop',
        'SUCCEEDED',
        '1',
        '3.0 s',
        'a',
        stepJobId(1098).slice(0, 8),
      ]);
      expect(await page.locator('#steps tr[data-step="split"] td').first().textContent()).toBe('split spawned 120');
      expect(await page.locator('#steps tr[data-step="split.join"] td').nth(5).textContent()).toBe(
        '120 children of split',
      );
      expect(await page.locator('#steps tr[data-step="report"] td').last().textContent()).toBe('none yet');
      expect(await page.locator('#critical-path').textContent()).toMatch(
        /^Critical path, 23\.\d s: a → split → split\.7 /,
      );
      expect(await page.locator('tr.critical').evaluateAll((rows) => rows.map((row) => row.dataset.step))).toEqual([
        'a',
        'split',
        'split.7',
      ]);
    });

    it("summarises a spawn's children by status, one page at a time, each status a filter", async () => {
      // Prepare
      const spawn = page.locator('#spawns section[data-spawn="split"]');
      await spawn.waitFor();
      // Assess
      expect(await spawn.locator('button[data-status]').allTextContents()).toEqual([
        'all 120',
        'RUNNING 10',
        'SUCCEEDED 110',
      ]);
      expect(await spawn.locator('tbody tr').count()).toBe(50);
      expect(await spawn.locator('.pager').textContent()).toBe('←1–50 of 120→');
      // Act: the next page, then the running ones only.
      await spawn.locator('button[data-page="→"]').click();
      // Assess
      await eventually(() => spawn.locator('.pager span').textContent()).toBe('51–100 of 120');
      // Act
      await spawn.locator('button[data-status="RUNNING"]').click();
      // Assess
      await eventually(() => spawn.locator('.pager span').textContent()).toBe('1–10 of 10');
      expect(await spawn.locator('tbody tr').first().getAttribute('data-step')).toBe('split.110');
      // The pick outlives the 2-s redraws.
      await page.waitForTimeout(2500);
      expect(await spawn.locator('.pager span').textContent()).toBe('1–10 of 10');
    });

    it('follows the workflow live, and cancels it with its button', async () => {
      // Act
      await page.locator(`#workflow-actions button[data-cancel="${WORKFLOW_ID}"]`).click();
      // Assess
      await eventually(() => page.locator('#notice').textContent()).toBe('cancel: stopping its running steps');
      expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toContain(
        `workflows/${WORKFLOW_ID}/cancel`,
      );
      // Act: its steps end on the API side.
      workflowNow = {
        ...runningWorkflow,
        status: 'CANCELLED',
        finishedAt: ago(0),
        steps: runningWorkflow.steps.map((s) => (s.status === 'SUCCEEDED' ? s : { ...s, status: 'CANCELLED' })),
      };
      // Assess
      await eventually(() => page.locator('#workflow-title').textContent()).toBe(`${WORKFLOW_ID} CANCELLED`);
      expect(await page.locator('#workflow-actions button').count()).toBe(0);
      expect(await page.locator('#steps tr[data-step="report"] td').nth(2).textContent()).toBe('CANCELLED');
    });

    it("links a step's job page to its workflow", async () => {
      // Act
      await page.goto(`${dashboard.url}#/jobs/${stepJob.id}`);
      const link = page.locator(`#job-fields a[href="#/workflows/${WORKFLOW_ID}"]`);
      await eventually(() => link.textContent()).toBe(`${WORKFLOW_ID.slice(0, 8)} step a`);
      await link.click();
      // Assess
      await eventually(() => page.locator('#workflow').isVisible()).toBe(true);
      expect(await page.locator('#job').isHidden()).toBe(true);
    });

    it('ran without script errors or refused resources', () => {
      expect(problems).toEqual([]);
    });
  },
);
