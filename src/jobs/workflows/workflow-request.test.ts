import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../model/index.ts';
import { findCycle, MAX_WORKFLOW_STEPS, parseWorkflowRequest } from './workflow-request.ts';

/** The 400's details of parsing `body`, or undefined when it parsed. */
function refusal(body: unknown) {
  try {
    parseWorkflowRequest(body);
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return error.details;
  }
}

/** A random DAG: each step depends only on steps declared before it, so there is no cycle. */
const dag = fc.integer({ min: 1, max: 40 }).chain((size) =>
  fc.tuple(
    ...Array.from({ length: size }, (_, i) =>
      fc.subarray(
        Array.from({ length: i }, (_, j) => `s${j}`),
        { maxLength: Math.min(5, i) },
      ),
    ),
  ),
);

describe('POST /workflows request', () => {
  it('takes steps with the job defaults, the default tenant and onParentFailure fail', () => {
    // Act
    const request = parseWorkflowRequest({ steps: [{ name: 'a', type: 'noop' }] });
    // Assess
    expect(request).toEqual({
      tenant: 'default',
      steps: [
        expect.objectContaining({
          name: 'a',
          type: 'noop',
          dependsOn: [],
          onParentFailure: 'fail',
          priority: 'default',
          capacity: 'cpu',
          maxAttempts: 4,
          timeoutSeconds: 300,
        }),
      ],
    });
  });

  it.each([
    ['an unknown parent', [{ name: 'a', type: 'noop', dependsOn: ['b'] }], 'step a depends on unknown step b'],
    ['itself as parent', [{ name: 'a', type: 'noop', dependsOn: ['a'] }], 'step a depends on itself'],
    [
      'a parent twice',
      [
        { name: 'a', type: 'noop' },
        { name: 'b', type: 'noop', dependsOn: ['a', 'a'] },
      ],
      'step b lists a twice',
    ],
    [
      'a duplicate name',
      [
        { name: 'a', type: 'noop' },
        { name: 'a', type: 'noop' },
      ],
      'step a is declared twice',
    ],
  ])('refuses %s, naming the step', (_what, steps, message) => {
    expect(refusal({ steps })).toEqual([expect.objectContaining({ message })]);
  });

  it('refuses a cycle, naming it', () => {
    // Act
    const details = refusal({
      steps: [
        { name: 'start', type: 'noop' },
        { name: 'a', type: 'noop', dependsOn: ['start', 'c'] },
        { name: 'b', type: 'noop', dependsOn: ['a'] },
        { name: 'c', type: 'noop', dependsOn: ['b'] },
      ],
    });
    // Assess
    expect(details).toEqual([{ path: 'steps.1.dependsOn', message: 'steps form a cycle: a → c → b → a' }]);
  });

  it(`refuses more than ${MAX_WORKFLOW_STEPS} steps, no steps, a bad name and unknown fields`, () => {
    const many = Array.from({ length: MAX_WORKFLOW_STEPS + 1 }, (_, i) => ({ name: `s${i}`, type: 'noop' }));
    expect(refusal({ steps: many })).toEqual([expect.objectContaining({ path: 'steps' })]);
    expect(refusal({ steps: [] })).toEqual([expect.objectContaining({ path: 'steps' })]);
    expect(refusal({ steps: [{ name: 'a b', type: 'noop' }] })).toEqual([
      expect.objectContaining({ path: 'steps.0.name' }),
    ]);
    expect(refusal({ steps: [{ name: 'a', type: 'noop', idempotencyKey: 'k' }] })).toEqual([
      { path: 'steps.0.idempotencyKey', message: 'unknown field' },
    ]);
  });

  it.each(['split.join', 'split.0', 'a.b.17'])('refuses %s, a name a spawn could give, naming the step', (name) => {
    expect(
      refusal({
        steps: [
          { name: 'a', type: 'noop' },
          { name, type: 'noop' },
        ],
      }),
    ).toEqual([
      {
        path: 'steps.1.name',
        message: `step ${name} is named as spawned steps are: no name may end in .join or .<digits>`,
      },
    ]);
  });

  it('accepts names with dots that a spawn never gives, and an idempotency key', () => {
    // Act
    const request = parseWorkflowRequest({
      idempotencyKey: 'nightly-1',
      steps: [
        { name: 'fetch.v2', type: 'noop' },
        { name: 'join', type: 'noop' },
        { name: 'load.joined', type: 'noop' },
        { name: '1.5x', type: 'noop' },
      ],
    });
    // Assess
    expect(request.idempotencyKey).toBe('nightly-1');
    expect(request.steps.map((step) => step.name)).toEqual(['fetch.v2', 'join', 'load.joined', '1.5x']);
  });

  it('accepts a chain of 1,000 steps (the cycle search never recurses)', () => {
    const chain = Array.from({ length: MAX_WORKFLOW_STEPS }, (_, i) => ({
      name: `s${i}`,
      type: 'noop',
      dependsOn: i === 0 ? [] : [`s${i - 1}`],
    }));
    expect(parseWorkflowRequest({ steps: chain }).steps).toHaveLength(MAX_WORKFLOW_STEPS);
  });

  it('accepts every random DAG, in any order of its steps', () => {
    fc.assert(
      fc.property(dag, fc.nat(), (parents, seed) => {
        const steps = parents.map((dependsOn, i) => ({ name: `s${i}`, type: 'noop', dependsOn }));
        // Declaration order must not matter: rotate the list.
        const rotated = steps.map((_, i) => steps[(i + seed) % steps.length]!);
        expect(refusal({ steps: rotated })).toBeUndefined();
      }),
    );
  });

  it('refuses every random DAG with one edge added backwards along a path, naming a real cycle', () => {
    fc.assert(
      fc.property(
        dag.filter((parents) => parents.some((p) => p.length > 0)),
        (parents) => {
          // Prepare: a step with a parent; making that parent depend on it closes a cycle.
          const child = parents.findIndex((p) => p.length > 0);
          const parent = Number(parents[child]![0]!.slice(1));
          const steps = parents.map((dependsOn, i) => ({
            name: `s${i}`,
            dependsOn: i === parent ? [...dependsOn, `s${child}`] : dependsOn,
          }));
          // Act
          const cycle = findCycle(steps, new Map(steps.map((step, i) => [step.name, i])));
          // Assess: each step of the cycle depends on the next, the last on the first.
          expect(cycle).toBeDefined();
          const byName = new Map(steps.map((step) => [step.name, step]));
          cycle!.forEach((name, i) => {
            expect(byName.get(name)!.dependsOn).toContain(cycle![(i + 1) % cycle!.length]);
          });
        },
      ),
    );
  });
});
