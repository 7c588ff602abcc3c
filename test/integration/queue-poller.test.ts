import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueKey } from '../../src/jobs/model/index.ts';
import { QueuePoller } from '../../workers/queue-poller.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { sqs } = testStack();
const suffix = Date.now();
const queues: { key: QueueKey; url: string }[] = [];
const poller = (waitSeconds: number) =>
  new QueuePoller(sqs, queues, { waitSeconds, visibilitySeconds: 30, starvationGuardEvery: 4 });

describe('QueuePoller', () => {
  beforeAll(async () => {
    for (const key of ['cpu-high', 'cpu-low'] as const) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `tailguard-poller-${key}-${suffix}` }));
      queues.push({ key, url: QueueUrl! });
    }
  });

  afterAll(async () => {
    await Promise.all(queues.map((q) => sqs.send(new DeleteQueueCommand({ QueueUrl: q.url }))));
  });

  it("returns at the first arrival on any queue, not when the other queues' long polls time out", async () => {
    // Prepare: both queues empty, so the receive long-polls both for up to 20 s.
    const idle = poller(20);
    const started = Date.now();
    const receiving = idle.receive(1);
    // Act: a message arrives on the lower-priority queue only.
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl: queues[1]!.url, MessageBody: 'low one' })), 300);
    const [message] = await receiving;
    // Assess: it came well before the high queue's 20 s poll could have ended.
    expect(message).toMatchObject({ queue: 'cpu-low', body: 'low one' });
    expect(Date.now() - started).toBeLessThan(10_000);
    idle.delete(message!);
    await idle.flushDeletes();

    // Act: the high queue's poll is still waiting when a message arrives, with no receive to take it.
    await sqs.send(new SendMessageCommand({ QueueUrl: queues[0]!.url, MessageBody: 'high one' }));
    // Assess: it goes straight back to the queue, so another worker gets it: nothing is held or lost.
    const other = poller(1);
    const [handedBack] = await waitFor(
      () => other.receive(1),
      (messages) => messages.length === 1,
      { timeoutMs: 15_000, what: 'the message handed back' },
    );
    expect(handedBack).toMatchObject({ queue: 'cpu-high', body: 'high one', receiveCount: 1 });
    await other.delete(handedBack!);
  }, 40_000);

  it('hands messages back without spending their receive budget, visible again after the delay asked for', async () => {
    // Prepare
    const quick = poller(1);
    await sqs.send(new SendMessageCommand({ QueueUrl: queues[0]!.url, MessageBody: 'again and again' }));
    // Act: received and handed back five times, the last time for 2 s.
    let message = (
      await waitFor(
        () => quick.receive(1),
        (m) => m.length === 1,
        { what: 'the message' },
      )
    )[0]!;
    for (let i = 0; i < 4; i++) {
      await quick.handBack([message]);
      message = (
        await waitFor(
          () => quick.receive(1),
          (m) => m.length === 1,
          { what: 'the handed-back message' },
        )
      )[0]!;
    }
    await quick.handBack([message], 2);
    const handedBackAt = Date.now();
    const [last] = await waitFor(
      () => quick.receive(1),
      (m) => m.length === 1,
      { what: 'the delayed message' },
    );
    // Assess: each receive is its copy's first, so SQS's redrive never counts hand-backs.
    expect(message).toMatchObject({ body: 'again and again', receiveCount: 1 });
    expect(last).toMatchObject({ body: 'again and again', receiveCount: 1 });
    expect(Date.now() - handedBackAt).toBeGreaterThanOrEqual(1500);
    await quick.delete(last!);
  }, 40_000);
});
