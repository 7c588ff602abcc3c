import { describe, expect, it } from 'vitest';
import { pollOrder } from './poll-order.ts';

const queues = ['critical', 'high', 'default', 'low'];

describe('pollOrder', () => {
  it('polls highest priority first on ordinary receives', () => {
    // Act
    const orders = [1, 2, 3, 5, 7].map((n) => pollOrder(queues, n, 4));
    // Assess
    for (const order of orders) expect(order).toEqual(queues);
  });

  it('lets each lower priority lead in turn on every guardEvery-th receive', () => {
    expect(pollOrder(queues, 4, 4)).toEqual(['high', 'critical', 'default', 'low']);
    expect(pollOrder(queues, 8, 4)).toEqual(['default', 'critical', 'high', 'low']);
    expect(pollOrder(queues, 12, 4)).toEqual(['low', 'critical', 'high', 'default']);
    expect(pollOrder(queues, 16, 4)).toEqual(['high', 'critical', 'default', 'low']);
  });

  it('gives low the lead at least once per guardEvery * 3 receives', () => {
    // Prepare
    const guardEvery = 5;
    // Act
    const leads = Array.from({ length: 150 }, (_, i) => pollOrder(queues, i + 1, guardEvery)[0]);
    // Assess
    expect(leads.filter((q) => q === 'low')).toHaveLength(150 / (guardEvery * 3));
    expect(leads.filter((q) => q === 'critical').length).toBeGreaterThan(100);
  });

  it('never drops or repeats a queue', () => {
    for (let n = 0; n < 50; n++) expect([...pollOrder(queues, n, 3)].sort()).toEqual([...queues].sort());
  });
});
