import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../model/index.ts';
import { childrenOfPage, MAX_SPAWN_BYTES, MAX_SPAWN_CHILDREN, type SpawnRequestInput, spawnWrites } from './spawn.ts';

const link = { id: 'w1', step: 'split' };
const squares = (n: number): SpawnRequestInput => ({
  children: Array.from({ length: n }, (_, x) => ({ type: 'square', payload: { x } })),
  join: { type: 'sum' },
});

describe('spawnWrites', () => {
  it('records the spawn on its step, the join among the workflow steps, and the children in a page', () => {
    // Act
    const writes = spawnWrites('jobs', link, 'acme', squares(3), 'now');
    // Assess
    expect(writes).toHaveLength(3);
    expect(writes[0]!.Update).toMatchObject({
      Key: { id: 'wf#w1#split' },
      ExpressionAttributeValues: {
        ':spawn': {
          count: 3,
          pages: 1,
          join: { request: { type: 'sum', tenant: 'acme', maxAttempts: 4 }, onParentFailure: 'fail' },
        },
      },
    });
    expect(writes[1]!.Update).toMatchObject({
      Key: { id: 'wf#w1' },
      UpdateExpression: 'SET stepNames = list_append(stepNames, :join), updatedAt = :now',
      ExpressionAttributeValues: { ':join': ['split.join'] },
    });
    const page = writes[2]!.Put!.Item!;
    expect(page.id).toBe('wf#w1#split.spawn#0');
    expect(childrenOfPage(page.children as string).map((child) => child.payload)).toEqual([
      { x: 0 },
      { x: 1 },
      { x: 2 },
    ]);
  });

  it('writes 10,000 small children in pages under the item limit, in order', () => {
    // Act
    const writes = spawnWrites('jobs', link, 'acme', squares(MAX_SPAWN_CHILDREN), 'now');
    // Assess
    const pages = writes.flatMap((write) => (write.Put ? [write.Put.Item!.children as string] : []));
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(Buffer.byteLength(page)).toBeLessThan(400_000);
    const xs = pages.flatMap((page) => childrenOfPage(page).map((child) => (child.payload as { x: number }).x));
    expect(xs).toEqual(Array.from({ length: MAX_SPAWN_CHILDREN }, (_, x) => x));
  });

  it.each([
    ['more than 10,000 children', squares(MAX_SPAWN_CHILDREN + 1), 'invalid spawn'],
    ['no child', { children: [], join: { type: 'sum' } }, 'invalid spawn'],
    [
      'a child payload over 256 KiB',
      { children: [{ type: 'a', payload: 'x'.repeat(300_000) }], join: { type: 'sum' } },
      'children.0.payload',
    ],
    [
      'a join payload over 256 KiB',
      { children: [{ type: 'a' }], join: { type: 'sum', payload: 'x'.repeat(300_000) } },
      'join.payload',
    ],
    [
      'children over 3 MB in all',
      {
        children: Array.from({ length: 20 }, () => ({ type: 'a', payload: 'x'.repeat(200_000) })),
        join: { type: 'sum' },
      },
      `the limit is ${MAX_SPAWN_BYTES}`,
    ],
  ])('fails the spawning job for good on %s', (_, request, message) => {
    expect(() => spawnWrites('jobs', link, 'acme', request, 'now')).toThrow(NonRetryableError);
    expect(() => spawnWrites('jobs', link, 'acme', request, 'now')).toThrow(message);
  });
});
