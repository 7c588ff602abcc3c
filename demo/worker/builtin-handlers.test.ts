import { describe, expect, it, vi } from 'vitest';
import type { ChildOutcome, JobContext } from '../../workers/index.ts';
import { split, square, sum } from './builtin-handlers.ts';

const contextWith = (fields: Partial<JobContext>) => fields as JobContext;

async function* outcomes(...children: ChildOutcome[]) {
  yield* children;
}

describe('the fan-out demo types', () => {
  it('split spawns n square children, {x: i}, and a sum join', async () => {
    // Prepare
    const spawn = vi.fn();
    // Act
    const result = await split({ n: 3 }, contextWith({ spawn }));
    // Assess
    expect(result).toEqual({ spawned: 3 });
    expect(spawn).toHaveBeenCalledWith({
      children: [0, 1, 2].map((x) => ({ type: 'square', payload: { x } })),
      join: { type: 'sum' },
    });
  });

  it("square returns x², and sum adds its children's", async () => {
    // Act
    const squared = await square({ x: 7 }, contextWith({}));
    const total = await sum(
      undefined,
      contextWith({
        children: () =>
          outcomes(
            { index: 0, status: 'SUCCEEDED', result: { x2: 0 } },
            { index: 1, status: 'SUCCEEDED', result: { x2: 1 } },
            { index: 2, status: 'SUCCEEDED', result: { x2: 4 } },
          ),
      }),
    );
    // Assess
    expect(squared).toEqual({ x2: 49 });
    expect(total).toEqual({ total: 5 });
  });

  it('sum fails for good outside a join and on a child that did not succeed', async () => {
    await expect(sum(undefined, contextWith({}))).rejects.toThrow('sum is the join of a spawn');
    await expect(
      sum(undefined, contextWith({ children: () => outcomes({ index: 4, status: 'DEAD', error: 'boom' }) })),
    ).rejects.toThrow('child 4 is DEAD');
  });
});
