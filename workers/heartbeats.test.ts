import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeats } from './heartbeats.ts';

const beating = () => ({ beat: vi.fn(async () => {}) });

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Heartbeats', () => {
  it('beats every running attempt from one timer, each interval', async () => {
    // Prepare
    const heartbeats = new Heartbeats(1000);
    const [first, second] = [beating(), beating()];
    heartbeats.add(first);
    heartbeats.add(second);
    // Act
    await vi.advanceTimersByTimeAsync(2000);
    // Assess
    expect(first.beat).toHaveBeenCalledTimes(2);
    expect(second.beat).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('stops beating an attempt once it is deleted, and stops its timer with the last one', async () => {
    // Prepare
    const heartbeats = new Heartbeats(1000);
    const [ended, running] = [beating(), beating()];
    heartbeats.add(ended);
    heartbeats.add(running);
    // Act
    heartbeats.delete(ended);
    await vi.advanceTimersByTimeAsync(1000);
    heartbeats.delete(running);
    // Assess
    expect(ended.beat).not.toHaveBeenCalled();
    expect(running.beat).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives an attempt that starts between beats its first beat within one interval', async () => {
    // Prepare
    const heartbeats = new Heartbeats(1000);
    heartbeats.add(beating());
    await vi.advanceTimersByTimeAsync(600);
    const late = beating();
    // Act
    heartbeats.add(late);
    await vi.advanceTimersByTimeAsync(1000);
    // Assess
    expect(late.beat).toHaveBeenCalledOnce();
  });
});
