import { afterEach, describe, expect, it } from 'vitest';
import type { Capacity } from '../src/jobs/model/index.ts';
import { CapacityHook } from './capacity-hook.ts';

describe('the local capacity hook', () => {
  let hook: CapacityHook | undefined;
  afterEach(() => hook?.close());

  /** A hook that records the workers it would start, and a POST to it. */
  const serve = async (maxExtra?: number) => {
    const started: Capacity[] = [];
    hook = new CapacityHook((capacity) => started.push(capacity), maxExtra);
    const url = await hook.listen();
    const post = async (query: string) => (await fetch(`${url}?${query}`, { method: 'POST' })).status;
    return { started, post };
  };

  it('starts a worker of the class asked for, up to its maximum per class, then answers 429', async () => {
    const { started, post } = await serve(1);
    expect(await post('capacity=gpu')).toBe(201);
    expect(await post('capacity=gpu')).toBe(429);
    expect(await post('capacity=cpu')).toBe(201);
    expect(started).toEqual(['gpu', 'cpu']);
    expect(hook!.count('gpu')).toBe(1);
  });

  it('starts none when its maximum is 0: a fixed fleet (bench:tail)', async () => {
    const { started, post } = await serve(0);
    expect(await post('capacity=cpu')).toBe(429);
    expect(started).toEqual([]);
  });

  it('refuses an unknown class with 400 and starts nothing', async () => {
    const { started, post } = await serve();
    expect(await post('capacity=tpu')).toBe(400);
    expect(started).toEqual([]);
  });
});
