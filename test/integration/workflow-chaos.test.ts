import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../local/worker-pool.ts';
import type { WorkflowRequestInput } from '../../src/client/index.ts';
import type { Job } from '../../src/jobs/model/index.ts';
import { scanAll } from '../helpers/job-table.ts';
import { mapLimit } from '../helpers/map-limit.ts';
import { ReaperSchedule } from '../helpers/reaper-schedule.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { killWorkers } from '../helpers/worker-killer.ts';
import { workflowBackstopPass } from '../helpers/workflow-backstop.ts';
import {
  allStepsEnded,
  type WorkflowRecord,
  workflowRecords,
  workflowViolations,
} from '../helpers/workflow-records.ts';

const { client, deployment, dynamodb } = testStack();
const run = randomUUID().slice(0, 8);
const TENANT = `wf-chaos-${run}`;
/** The faulted workflows' own tenant: an empty window, so each root is sent (and faulted), not held. */
const FAULT_TENANT = `wf-chaos-fault-${run}`;
const DIAMONDS = 40;
/** Diamonds whose `POST /workflows` stops after its root's send (test-only `x-tailguard-fault`). */
const FAULTED = 5;
const CHAINS = 10;
const SPLITS = [100, 150, 200];
/** Workflows whose last step's worker stops after the step's end, before advancing (test-only fault). */
const STALLED = 5;
// Submitting ~60 workflows through the emulator's API and running ~700 jobs while workers die
// takes a few minutes on 2 busy cores; holding the reaper off takes its timeout (80 s). The bound
// is for a broken build, not a slow machine.
const TIMEOUT_MS = 1_140_000;
/** What the chaos's waits share, so that a timeout is theirs and names the workflows it waited for. */
const WAIT_BUDGET_MS = 780_000;
/** What the stalled workflows' wait gets: two short steps each. */
const STALL_BUDGET_MS = 120_000;

/** Kills are survivable: an attempt lost to one counts against maxAttempts, so steps get room. */
const survives = { maxAttempts: 10, backoff: { baseSeconds: 0.5, jitter: 'none' as const } };
const sleep = (ms: number) => ({ type: 'sleep', payload: { ms }, ...survives });

type Shape = 'diamond' | 'chain' | 'split' | 'stalled';
interface Planned {
  label: string;
  shape: Shape;
  request: WorkflowRequestInput;
}

/** `a → (b, c) → d`, sleeps of 50-350 ms so kills land on running steps; d collects b and c. */
const diamond = (i: number, tenant: string): WorkflowRequestInput => ({
  tenant,
  steps: [
    { name: 'a', ...sleep(50 + ((i * 37) % 300)) },
    { name: 'b', ...sleep(50 + ((i * 53) % 300)), dependsOn: ['a'] },
    { name: 'c', ...sleep(50 + ((i * 71) % 300)), dependsOn: ['a'] },
    { name: 'd', type: 'collect', dependsOn: ['b', 'c'], ...survives },
  ],
});

/** `first → broken → after → last` and `aside`: broken always fails, so after and last are skipped. */
const chain = (i: number): WorkflowRequestInput => ({
  tenant: TENANT,
  steps: [
    { name: 'first', ...sleep(50 + ((i * 37) % 300)) },
    { name: 'broken', type: 'fail', maxAttempts: 2, backoff: survives.backoff, dependsOn: ['first'] },
    { name: 'after', type: 'noop', dependsOn: ['broken'], ...survives },
    { name: 'last', type: 'noop', dependsOn: ['after'], ...survives },
    { name: 'aside', ...sleep(100) },
  ],
});

const split = (n: number): WorkflowRequestInput => ({
  tenant: TENANT,
  steps: [{ name: 'split', type: 'split', payload: { n }, ...survives }],
});

/** `a → b`, b marked so that whichever worker runs it stops after b's end, before advancing the workflow. */
const stalled = (i: number): WorkflowRequestInput => ({
  tenant: TENANT,
  steps: [
    { name: 'a', ...sleep(50 + i * 10) },
    { name: 'b', type: 'noop', payload: { fault: 'before-advance' }, dependsOn: ['a'], ...survives },
  ],
});

const workload: Planned[] = [
  ...Array.from({ length: DIAMONDS - FAULTED }, (_, i) => ({
    label: `diamond-${i}`,
    shape: 'diamond' as const,
    request: diamond(i, TENANT),
  })),
  ...Array.from({ length: CHAINS }, (_, i) => ({ label: `chain-${i}`, shape: 'chain' as const, request: chain(i) })),
  ...SPLITS.map((n) => ({ label: `split-${n}`, shape: 'split' as const, request: split(n) })),
];

/** Attempts other than the one that succeeded that a kill does not explain (a lost attempt is a kill's). */
const unexplainedAttempts = (job: Job | undefined) =>
  (job?.attemptLog ?? []).filter(
    (a) => a.outcome !== 'succeeded' && a.outcome !== 'lost' && a.outcome !== 'superseded',
  );

const stepView = (record: WorkflowRecord, name: string) => record.view.steps.find((step) => step.name === name);
const jobOf = (record: WorkflowRecord, name: string) => record.jobs.find((job) => job.workflow?.step === name);
const open = (record: WorkflowRecord) => record.workflow.status === 'RUNNING';
const ended = (record: WorkflowRecord) => !open(record);

/** What the workflow's shape promises beyond the rules every workflow keeps (workflowViolations). */
function shapeViolations(shape: Shape, record: WorkflowRecord): string[] {
  const out: string[] = [];
  const statuses = (names: string[]) => names.map((name) => `${name}=${stepView(record, name)?.status}`).join(' ');
  if (shape === 'diamond') {
    if (record.workflow.status !== 'SUCCEEDED') out.push(`workflow: ${record.workflow.status}, not SUCCEEDED`);
    const parents = (stepView(record, 'd')?.result as { parents?: Record<string, { status: string }> } | null)?.parents;
    if (parents?.b?.status !== 'SUCCEEDED' || parents?.c?.status !== 'SUCCEEDED')
      out.push(`step d: saw parents ${JSON.stringify(parents)}`);
    if (unexplainedAttempts(jobOf(record, 'd')).length > 0)
      out.push(`step d: ran more than once beyond lost attempts: ${JSON.stringify(jobOf(record, 'd')?.attemptLog)}`);
  }
  if (shape === 'chain') {
    const expected = 'first=SUCCEEDED broken=DEAD after=SKIPPED last=SKIPPED aside=SUCCEEDED';
    const seen = statuses(['first', 'broken', 'after', 'last', 'aside']);
    if (record.workflow.status !== 'FAILED') out.push(`workflow: ${record.workflow.status}, not FAILED`);
    if (seen !== expected) out.push(`steps: ${seen}, not ${expected}`);
  }
  if (shape === 'split') {
    const n = (stepView(record, 'split')?.result as { spawned?: number } | null)?.spawned ?? 0;
    const children = record.view.steps.filter((step) => step.spawnedBy === 'split' && step.name !== 'split.join');
    const want = ((n - 1) * n * (2 * n - 1)) / 6;
    const join = stepView(record, 'split.join');
    if (record.workflow.status !== 'SUCCEEDED') out.push(`workflow: ${record.workflow.status}, not SUCCEEDED`);
    if (n === 0 || children.length !== n) out.push(`step split: spawned ${n} children, ${children.length} listed`);
    if ((join?.result as { total?: number } | null)?.total !== want)
      out.push(`step split.join: result ${JSON.stringify(join?.result)}, not {total: ${want}}`);
    if (unexplainedAttempts(jobOf(record, 'split.join')).length > 0)
      out.push(
        `step split.join: ran more than once beyond lost attempts: ${JSON.stringify(jobOf(record, 'split.join')?.attemptLog)}`,
      );
  }
  if (shape === 'stalled' && record.workflow.status !== 'SUCCEEDED')
    out.push(`workflow: ${record.workflow.status}, not SUCCEEDED`);
  return out;
}

describe('workflow chaos: many workflows while workers are SIGKILLed', () => {
  let pool: WorkerPool;
  const killer = new AbortController();
  const reaper = new ReaperSchedule(deployment);
  const ids = new Map<string, { label: string; shape: Shape }>();
  const records = async () =>
    workflowRecords(await scanAll<object>(dynamodb, deployment.jobsTable), new Set(ids.keys()));
  let deadline = 0;
  /** Workflows seen open with every step ended: a kill between a step's end and its advance, or an advance on its way. */
  const seenStalled = new Set<string>();
  /** Polls the table until at most `allowed` workflows are not `done`; a timeout names those that are not. */
  const waitForWorkflows = (what: string, done: (record: WorkflowRecord) => boolean, allowed = 0) =>
    waitFor(
      async () => {
        const found = await records();
        for (const [id, record] of found) if (open(record) && allStepsEnded(record)) seenStalled.add(id);
        const pending = [...ids]
          .filter(([id]) => !found.has(id) || !done(found.get(id)!))
          .map(([id, { label }]) => `${label} ${id}`);
        return { found, pending };
      },
      ({ pending }) => pending.length <= allowed,
      { timeoutMs: Math.max(deadline - Date.now(), 0), intervalMs: 5000, what },
    );

  beforeAll(() => {
    pool = new WorkerPool({
      env: deployment.workerEnv,
      logDir: fileURLToPath(new URL('../../.tailguard/test/workflow-chaos-workers/', import.meta.url)),
      args: [
        ...['--poll-wait-seconds', '1', '--concurrency', '8', '--lease-seconds', '4', '--heartbeat-seconds', '1'],
        ...['--fault-injection', 'on'],
      ],
    });
    for (let i = 0; i < 3; i++) pool.start('cpu');
  });

  // Pass, fail or time out: stop killing, let the reaper run again, stop this test's workers, and
  // cancel whatever of its workflows still runs (their steps and spawned children with them), so
  // nothing outlives it.
  afterAll(async () => {
    killer.abort();
    await reaper.resume();
    await pool.stopAll(5_000);
    const left = [...(await records()).values()].filter(open);
    await mapLimit(left, 8, (record) => client.raw('POST', `workflows/${record.workflow.workflowId}/cancel`));
    await waitFor(records, (found) => [...found.values()].every(ended), {
      timeoutMs: 120_000,
      intervalMs: 3000,
      what: 'the chaos workflows left over to end',
    }).catch(() => undefined);
  }, TIMEOUT_MS);

  it(
    'ends every workflow, creates each dependent and join once and after its parents, skips what a failure leaves, and one reaper pass ends any whose steps all ended',
    async () => {
      // Prepare: a killer that SIGKILLs a random chaos worker every 1.5 s and starts a replacement.
      deadline = Date.now() + WAIT_BUDGET_MS;
      const killing = killWorkers(pool, 1500, killer.signal);

      // Act: the faulted diamonds first (their tenant's window empty: each root is sent, then the
      // intake stops), found by their tenant since a 500 carries no id; then the rest, at once.
      const faulted = await mapLimit(Array.from({ length: FAULTED }), 1, (_, i) =>
        client.raw('POST', 'workflows', JSON.stringify(diamond(i, FAULT_TENANT)), {
          'x-tailguard-fault': 'after-send',
        }),
      );
      const items = await scanAll<{ workflowId?: string; tenant?: string; stepNames?: string[] }>(
        dynamodb,
        deployment.jobsTable,
      );
      for (const item of items.filter((found) => found.tenant === FAULT_TENANT && found.stepNames))
        ids.set(item.workflowId!, { label: 'diamond-faulted', shape: 'diamond' });
      await mapLimit(workload, 8, async ({ label, shape, request }) => {
        const { id } = await client.submitWorkflow(request);
        ids.set(id, { label, shape });
      });
      // Kills go on until most workflows ended: through the splits' children and joins.
      await waitForWorkflows('3/4 of the workflows to end while workers are killed', ended, Math.floor(ids.size / 4));
      killer.abort();
      const kills = await killing;
      await waitForWorkflows('every workflow to end', ended);

      // Act: the one-pass check. With the reaper held off, workflows whose last step's worker stops
      // after the step's end and before advancing (test-only fault) stay open with every step ended
      // until a pass: then exactly one pass of the reaper's backstop.
      await reaper.pause();
      deadline = Date.now() + STALL_BUDGET_MS;
      await mapLimit(Array.from({ length: STALLED }), 8, async (_, i) => {
        const { id } = await client.submitWorkflow(stalled(i));
        ids.set(id, { label: `stalled-${i}`, shape: 'stalled' });
      });
      const { found: settled } = await waitForWorkflows("every workflow's steps to end", allStepsEnded);
      const stalledBeforePass = [...settled.values()].filter(open).map((record) => record.workflow.workflowId);
      const pass = await workflowBackstopPass(deployment);
      const final = await records();
      await reaper.resume();

      // Assess
      const labelOf = (id: string) => `${ids.get(id)!.label} (${id})`;
      const broken = [...final].flatMap(([id, record]) =>
        [...workflowViolations(record), ...shapeViolations(ids.get(id)!.shape, record)].map(
          (what) => `${labelOf(id)} ${what}`,
        ),
      );
      const notStalled = [...ids]
        .filter(([id, { shape }]) => shape === 'stalled' && !stalledBeforePass.includes(id))
        .map(([id]) => labelOf(id));
      const notEndedByPass = stalledBeforePass.filter((id) => !final.has(id) || open(final.get(id)!)).map(labelOf);
      const jobs = [...final.values()].flatMap((record) => record.jobs);
      const lost = jobs.filter((job) => job.attemptLog.some((a) => a.outcome === 'lost'));
      const joins = [...final.values()]
        .flatMap((record) => record.jobs.filter((job) => job.workflow?.step === 'split.join'))
        .map((job) => `${job.attempts} (${job.attemptLog.map((a) => a.outcome).join(', ')})`);
      console.error(
        `workflow chaos: ${ids.size} workflows, ${jobs.length} jobs, ${kills} kills, ${lost.length} jobs with a lost attempt; ` +
          `${seenStalled.size} seen open with every step ended, ${stalledBeforePass.length} just before the one backstop pass ` +
          `(it advanced ${pass.advanced.length}, failed ${pass.failed.length}); ` +
          `split joins' attempts: ${joins.join('; ')}`,
      );
      expect(faulted.map((response) => response.status)).toEqual(faulted.map(() => 500));
      expect(ids.size).toBe(DIAMONDS + CHAINS + SPLITS.length + STALLED);
      expect(kills).toBeGreaterThanOrEqual(10);
      expect(lost.length).toBeGreaterThan(0);
      expect(broken).toEqual([]);
      expect(notStalled).toEqual([]);
      expect(stalledBeforePass.length).toBeGreaterThan(0);
      expect(pass.failed).toEqual([]);
      expect(notEndedByPass).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
