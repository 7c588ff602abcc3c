import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import type { JobRunner } from './job-runner.ts';
import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';
import { Worker } from './worker.ts';

/** A queue of `count` messages behind the poller's interface, recording how it is asked. */
function fakePoller(count: number) {
  const waiting = Array.from(
    { length: count },
    (_, i): ReceivedMessage => ({
      queue: 'cpu-default',
      queueUrl: 'q',
      body: String(i),
      receiptHandle: String(i),
      receiveCount: 1,
      sentAt: Date.now(),
    }),
  );
  const receives: { max: number; longPoll: boolean }[] = [];
  const poller = {
    receives,
    receive: async (max: number, { longPoll = true } = {}) => {
      receives.push({ max, longPoll });
      await sleep(1);
      return waiting.splice(0, max);
    },
    setVisibility: async () => undefined,
    handBack: async () => undefined,
    flushDeletes: async () => undefined,
  };
  return poller;
}

/** Runs each message for 20 ms, recording the most attempts in flight at once. */
function fakeRunner() {
  const runner = { done: 0, running: 0, mostAtOnce: 0, runningJobIds: new Set<string>() };
  const process = async () => {
    runner.running++;
    runner.mostAtOnce = Math.max(runner.mostAtOnce, runner.running);
    await sleep(20);
    runner.running--;
    runner.done++;
  };
  return Object.assign(runner, { process });
}

async function runUntilDone(onProbation: boolean) {
  const poller = fakePoller(6);
  const runner = fakeRunner();
  const worker = new Worker(
    poller as unknown as QueuePoller,
    runner as unknown as JobRunner,
    new Logger({ logLevel: 'SILENT' }),
    { concurrency: 3, shutdownGraceSeconds: 1, probationPollMs: 5 },
    { onProbation },
  );
  void worker.start();
  while (runner.done < 6) await sleep(5);
  await worker.stop();
  return { poller, runner, load: worker.load };
}

describe('Worker', () => {
  it('runs up to its concurrency at once and long-polls when healthy', async () => {
    const { poller, runner, load } = await runUntilDone(false);
    expect(runner.mostAtOnce).toBe(3);
    expect(poller.receives.every((r) => r.longPoll)).toBe(true);
    expect(load).toEqual({ slots: 3, running: 0, jobIds: [] });
  });

  it('on probation runs one attempt at a time and only takes work that waited (no long polls)', async () => {
    const { poller, runner, load } = await runUntilDone(true);
    expect(runner.mostAtOnce).toBe(1);
    expect(poller.receives.every((r) => !r.longPoll && r.max === 1)).toBe(true);
    expect(load.slots).toBe(1);
  });
});
