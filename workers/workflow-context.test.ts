import { describe, expect, it } from 'vitest';
import { type Job, NonRetryableError } from '../src/jobs/model/index.ts';
import { childStepName, stepJobId, WorkflowStore } from '../src/jobs/workflows/index.ts';
import { queued } from '../test/helpers/store-fixtures.ts';
import { JobEffects } from './job-handler.ts';
import { CHILDREN_PAGE, childrenOf, spawnerOf, type WorkflowContextDeps } from './workflow-context.ts';

const signal = new AbortController().signal;
const join: Job = { ...queued, workflow: { id: 'w1', step: 'split.join', children: { parent: 'split', count: 250 } } };

/** Children's jobs by id, each `x²` as its result; child 7 died and child 9 never ran. */
function childJobs() {
  const reads: number[] = [];
  const jobs = new Map<string, Job>();
  for (let i = 0; i < 250; i++) {
    if (i === 9) continue;
    const id = stepJobId('w1', childStepName('split', i));
    jobs.set(
      id,
      i === 7
        ? { ...queued, id, status: 'DEAD', error: { name: 'Error', message: 'boom', retryable: false } }
        : { ...queued, id, status: 'SUCCEEDED', result: JSON.stringify({ x2: i * i }) },
    );
  }
  const deps: WorkflowContextDeps = {
    store: {
      getMany: async (ids: string[]) => {
        reads.push(ids.length);
        return ids.flatMap((id) => jobs.get(id) ?? []);
      },
    },
    payloads: { result: async (job: Job) => JSON.parse(job.result!) },
  };
  return { deps, reads };
}

describe("a join's children", () => {
  it('are read a page at a time as the handler iterates, in order, failures and missing ones included', async () => {
    // Prepare
    const { deps, reads } = childJobs();
    const children = childrenOf(deps, join, signal)!;
    // Act
    const seen = [];
    for await (const child of children()) seen.push(child);
    // Assess
    expect(reads).toEqual([CHILDREN_PAGE, CHILDREN_PAGE, 50]);
    expect(seen.map((child) => child.index)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(seen[3]).toEqual({ index: 3, status: 'SUCCEEDED', result: { x2: 9 } });
    expect(seen[7]).toEqual({ index: 7, status: 'DEAD', error: 'boom' });
    expect(seen[9]).toEqual({ index: 9, status: 'CANCELLED', error: 'the step never ran' });
  });

  it('are not read before the handler asks', async () => {
    const { deps, reads } = childJobs();
    childrenOf(deps, join, signal);
    expect(reads).toEqual([]);
  });

  it('are none for a job that is not a join', () => {
    const { deps } = childJobs();
    expect(childrenOf(deps, queued, signal)).toBeUndefined();
  });
});

describe('context.spawn', () => {
  const workflows = new WorkflowStore({} as never, 'jobs');
  const step: Job = { ...queued, tenant: 'acme', workflow: { id: 'w1', step: 'split' } };
  const request = { children: [{ type: 'square', payload: { x: 0 } }], join: { type: 'sum' } };

  it("adds the spawn's writes to the attempt's effects, committed with its success", () => {
    // Prepare
    const effects = new JobEffects();
    // Act
    spawnerOf({ ...childJobs().deps, workflows }, step, effects)(request);
    // Assess
    expect(effects.all.map((write) => write.Update?.Key?.id ?? write.Put?.Item?.id)).toEqual([
      'wf#w1#split',
      'wf#w1',
      'wf#w1#split.spawn#0',
    ]);
  });

  it('fails the job for good outside a workflow, and on a second spawn', () => {
    const effects = new JobEffects();
    expect(() => spawnerOf({ ...childJobs().deps, workflows }, queued, effects)(request)).toThrow(NonRetryableError);
    const spawn = spawnerOf({ ...childJobs().deps, workflows }, step, effects);
    spawn(request);
    expect(() => spawn(request)).toThrow('a job spawns once');
    expect(effects.all).toHaveLength(3);
  });
});
