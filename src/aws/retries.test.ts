import { describe, expect, it } from 'vitest';
import { retryLeftovers } from './retries.ts';

describe('retryLeftovers', () => {
  it('sends again only what the previous try left, until nothing is left', async () => {
    // Prepare
    const sent: (readonly number[])[] = [];
    // Act
    const outcome = await retryLeftovers(
      [1, 2, 3],
      async (left) => {
        sent.push(left);
        return left.slice(1);
      },
      { tries: 5, pauseMs: 1 },
    );
    // Assess
    expect(sent).toEqual([[1, 2, 3], [2, 3], [3]]);
    expect(outcome).toEqual({ left: [], error: undefined });
  });

  it('gives up after its tries and returns what was left with the last error', async () => {
    // Prepare
    let calls = 0;
    const refused = new Error('throttled');
    // Act
    const outcome = await retryLeftovers(
      ['a'],
      async () => {
        calls++;
        throw refused;
      },
      { tries: 3, pauseMs: 1 },
    );
    // Assess
    expect(calls).toBe(3);
    expect(outcome).toEqual({ left: ['a'], error: refused });
  });

  it('throws an error that is not retryable at once', async () => {
    // Prepare
    let calls = 0;
    const send = async () => {
      calls++;
      throw new Error('access denied');
    };
    // Act
    const outcome = retryLeftovers(['a'], send, { tries: 3, pauseMs: 1, retryable: () => false });
    // Assess
    await expect(outcome).rejects.toThrow('access denied');
    expect(calls).toBe(1);
  });

  it('makes no call when nothing is to be sent', async () => {
    // Prepare
    let calls = 0;
    // Act
    const outcome = await retryLeftovers([], async () => [calls++], { tries: 3 });
    // Assess
    expect(calls).toBe(0);
    expect(outcome.left).toEqual([]);
  });
});
