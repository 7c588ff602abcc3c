import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queuesOfClass } from '../src/jobs/dispatch/index.ts';
import type { QueueKey } from '../src/jobs/model/index.ts';
import { queueTopology, queueUrl } from '../test/helpers/queue-fixtures.ts';
import { waitFor } from '../test/helpers/wait-for.ts';
import { QueuePoller, type ReceivedMessage } from './queue-poller.ts';

const sqs = mockClient(SQSClient);
const poller = () =>
  new QueuePoller(new SQSClient({}), queuesOfClass(queueTopology(), 'cpu'), {
    waitSeconds: 20,
    visibilitySeconds: 30,
    // Strict priority order on every receive here; the guard's turns are pollOrder's tests.
    starvationGuardEvery: 1000,
  });
const arrivals = (...ids: string[]): Partial<ReceiveMessageCommandOutput> => ({
  Messages: ids.map((id) => ({
    Body: id,
    ReceiptHandle: `r-${id}`,
    Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1000' },
  })),
});
const shortPolls = () =>
  sqs.commandCalls(ReceiveMessageCommand, { WaitTimeSeconds: 0 }).map(({ args: [{ input }] }) => input.QueueUrl);
const handedBack = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap(({ args: [{ input }] }) => input.Entries!.map((e) => e.MessageBody));

/** Long polls that answer only when the test says so, by queue. */
let longPolls: Map<string, (output: Partial<ReceiveMessageCommandOutput>) => void>;

beforeEach(() => {
  sqs.reset();
  sqs.onAnyCommand().resolves({});
  sqs.on(ReceiveMessageCommand, { WaitTimeSeconds: 0 }).resolves({});
  longPolls = new Map();
  sqs
    .on(ReceiveMessageCommand, { WaitTimeSeconds: 20 })
    .callsFake((input: { QueueUrl: string }) => new Promise((resolve) => longPolls.set(input.QueueUrl, resolve)));
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map(({ Id }) => ({ Id, MessageId: `copy-${Id}`, MD5OfMessageBody: '' })),
  }));
});

afterEach(() => {
  // Long polls still out come back empty, as they would when their wait ends.
  for (const answer of longPolls.values()) answer({});
});

/** Once the long poll of `key` is out. */
const pollOut = (key: QueueKey) =>
  waitFor(
    async () => longPolls.get(queueUrl(key)),
    (answer) => answer !== undefined,
    { intervalMs: 5, what: `the long poll of ${key}` },
  );

/** Answers the long poll of `key` once it is out. */
async function arrive(key: QueueKey, output: Partial<ReceiveMessageCommandOutput>): Promise<void> {
  const answer = (await pollOut(key))!;
  longPolls.delete(queueUrl(key));
  answer(output);
}

describe('QueuePoller.receive', () => {
  it('takes from the highest-priority queue with work, short-polling each queue above it once', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand, { QueueUrl: queueUrl('cpu-default'), WaitTimeSeconds: 0 }).resolves(arrivals('m1'));
    // Act
    const received = await poller().receive(4);
    // Assess
    expect(received.map((m) => [m.queue, m.body])).toEqual([['cpu-default', 'm1']]);
    expect(shortPolls()).toEqual([queueUrl('cpu-critical'), queueUrl('cpu-high'), queueUrl('cpu-default')]);
  });

  it('returns nothing when every queue is empty and no long poll is wanted', async () => {
    // Act
    const received = await poller().receive(4, { longPoll: false });
    // Assess
    expect(received).toEqual([]);
    expect(shortPolls()).toHaveLength(4);
    expect(longPolls.size).toBe(0);
  });

  it('long-polls every queue at once when all are empty, and returns at the first arrival on any of them', async () => {
    // Prepare
    const receiving = poller().receive(4);
    // Act
    await arrive('cpu-low', arrivals('late-low'));
    const received = await receiving;
    // Assess: the other queues' polls are still out.
    expect(received.map((m) => m.body)).toEqual(['late-low']);
    expect([...longPolls.keys()].sort()).toEqual(
      [queueUrl('cpu-critical'), queueUrl('cpu-high'), queueUrl('cpu-default')].sort(),
    );
  });

  it('hands back what arrives beyond the free slots, and what arrives with no receive waiting', async () => {
    // Prepare
    const queues = poller();
    const receiving = queues.receive(1);
    // Act
    await arrive('cpu-high', arrivals('h1', 'h2'));
    const received = await receiving;
    await arrive('cpu-low', arrivals('l1'));
    // Assess
    expect(received.map((m) => m.body)).toEqual(['h1']);
    await waitFor(
      async () => handedBack(),
      (bodies) => bodies.length === 2,
      { intervalMs: 5, what: 'two messages handed back' },
    );
    expect(handedBack().sort()).toEqual(['h2', 'l1']);
  });

  it('does not poll a queue twice at once: a later receive waits on the poll still out', async () => {
    // Prepare
    const queues = poller();
    const first = queues.receive(1);
    await arrive('cpu-low', arrivals('l1'));
    await first;
    // Act: the second receive waits once it polls the one queue whose poll came back.
    const second = queues.receive(1);
    await pollOut('cpu-low');
    await arrive('cpu-critical', arrivals('c1'));
    // Assess
    expect((await second).map((m) => m.body)).toEqual(['c1']);
    expect(
      sqs.commandCalls(ReceiveMessageCommand, { QueueUrl: queueUrl('cpu-critical'), WaitTimeSeconds: 20 }),
    ).toHaveLength(1);
  });

  it('fails the waiting receive when a long poll fails', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand, { QueueUrl: queueUrl('cpu-high'), WaitTimeSeconds: 20 }).rejects(new Error('denied'));
    // Act
    const receiving = poller().receive(1);
    // Assess
    await expect(receiving).rejects.toThrow('denied');
  });
});

describe('QueuePoller.handBack', () => {
  const received = (id: string): ReceivedMessage => ({
    queue: 'cpu-default',
    queueUrl: queueUrl('cpu-default'),
    body: id,
    receiptHandle: `r-${id}`,
    receiveCount: 3,
    sentAt: 1000,
  });

  it('sends a fresh copy and deletes the received one, so the receive budget is not spent', async () => {
    // Act
    await poller().handBack([received('m1'), received('m2')], 7);
    // Assess
    const [copy] = sqs.commandCalls(SendMessageBatchCommand);
    expect(copy?.args[0].input.Entries).toEqual([
      { Id: '0', MessageBody: 'm1', DelaySeconds: 7 },
      { Id: '1', MessageBody: 'm2', DelaySeconds: 7 },
    ]);
    const [removed] = sqs.commandCalls(DeleteMessageBatchCommand);
    expect(removed?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'r-m1' },
      { Id: '1', ReceiptHandle: 'r-m2' },
    ]);
  });

  it('keeps the original of a copy SQS refused, visible again after the delay', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'copy-0', MD5OfMessageBody: '' }],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    // Act
    await poller().handBack([received('m1'), received('m2')], 7);
    // Assess
    expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'r-m1' },
    ]);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toEqual({
      QueueUrl: queueUrl('cpu-default'),
      ReceiptHandle: 'r-m2',
      VisibilityTimeout: 7,
    });
  });
});
