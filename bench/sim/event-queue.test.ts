import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue.ts';

describe('the virtual clock', () => {
  it('runs events in time order, and events at the same instant in the order they were scheduled', async () => {
    // Prepare
    const clock = new EventQueue(1000);
    const seen: string[] = [];
    clock.at(1300, () => seen.push(`c@${clock.now}`));
    clock.at(1100, () => seen.push(`a@${clock.now}`));
    clock.at(1100, () => seen.push(`b@${clock.now}`));
    clock.after(50, () => clock.after(0, () => seen.push(`d@${clock.now}`)));
    // Act
    await clock.run();
    // Assess
    expect(seen).toEqual(['d@1050', 'a@1100', 'b@1100', 'c@1300']);
  });

  it('waits for an event’s promise before moving the clock, and never schedules into the past', async () => {
    // Prepare
    const clock = new EventQueue(0);
    const seen: string[] = [];
    clock.at(10, async () => {
      await Promise.resolve();
      seen.push(`async@${clock.now}`);
      clock.at(5, () => seen.push(`late@${clock.now}`));
    });
    clock.at(20, () => seen.push(`next@${clock.now}`));
    // Act
    await clock.run();
    // Assess
    expect(seen).toEqual(['async@10', 'late@10', 'next@20']);
  });
});
