import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { chunks } from '../src/aws/batches.ts';
import type { QueueKey } from '../src/jobs/model/index.ts';
import { DeleteBatcher, type DeleteBatcherOptions } from './delete-batcher.ts';
import { pollOrder } from './poll-order.ts';

export interface ReceivedMessage {
  queue: QueueKey;
  queueUrl: string;
  body: string;
  receiptHandle: string;
  receiveCount: number;
  /** Epoch ms SQS took the message (for a job's first message: just before the intake wrote the job). */
  sentAt: number;
}

export interface PollerOptions {
  /** Long-poll wait when every queue is empty (0-20). @default 20 (`--poll-wait-seconds`) */
  waitSeconds: number;
  /** Initial visibility of received messages; heartbeats extend it. @default 30 (the lease, `--lease-seconds`) */
  visibilitySeconds: number;
  /** Every n-th receive leads with a lower priority (see pollOrder). @default 4 (`--starvation-guard`) */
  starvationGuardEvery: number;
  /** Deletes of finished messages, batched (see DeleteBatcher). */
  deletes?: Partial<DeleteBatcherOptions>;
}

/**
 * Receives work from one capacity class's queues in priority order. A sweep of short polls finds
 * the highest non-empty queue; when all are empty, every queue is long-polled at once and the
 * receive returns at the first arrival, not when the last poll times out. The other long polls
 * stay in flight (never more than one per queue) and hand what they bring to the next receive;
 * arrivals with no receive waiting, or beyond its free slots, go straight back to the queue.
 */
export class QueuePoller {
  private pollNumber = 0;
  private readonly longPolls = new Set<QueueKey>();
  private waiting:
    | { max: number; resolve: (messages: ReceivedMessage[]) => void; reject: (error: unknown) => void }
    | undefined;

  private readonly deletes: DeleteBatcher;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: readonly { key: QueueKey; url: string }[],
    private readonly options: PollerOptions,
  ) {
    this.deletes = new DeleteBatcher(sqs, { maxWaitMs: 20, onError: () => undefined, ...options.deletes });
  }

  /** Up to `max` messages; with `longPoll: false`, only what is waiting now (one sweep, no wait). */
  async receive(max: number, { longPoll = true } = {}): Promise<ReceivedMessage[]> {
    this.pollNumber++;
    const order = pollOrder(this.queues, this.pollNumber, this.options.starvationGuardEvery);
    for (const queue of order) {
      const messages = await this.receiveFrom(queue, max, 0);
      if (messages.length > 0) return messages;
    }
    if (!longPoll) return [];
    return new Promise((resolve, reject) => {
      this.waiting = { max, resolve, reject };
      for (const queue of order) if (!this.longPolls.has(queue.key)) this.longPoll(queue, max);
    });
  }

  /** Deletes a finished message, in a batch with others of its queue a few milliseconds later. */
  delete(message: ReceivedMessage): void {
    this.deletes.add(message.queueUrl, message.receiptHandle);
  }

  /** Sends the deletes still waiting for their batch (a stopping worker). */
  flushDeletes(): Promise<void> {
    return this.deletes.flush();
  }

  async setVisibility(message: ReceivedMessage, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: message.queueUrl,
        ReceiptHandle: message.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  /**
   * Puts messages back on their queue, visible again after `delaySeconds` (at most SQS's 900),
   * without using up their receive budget: a fresh copy is sent and the received one deleted. A
   * visibility change would leave the received copy one receive closer to `maxReceiveCount`, so a
   * job handed back often enough (a burst meeting idle long polls, stopping workers, deferrals)
   * would reach the SQS dead-letter queue without a single failed attempt. A duplicate is
   * harmless (the claim drops it); a copy that could not be sent keeps its original instead.
   */
  async handBack(messages: readonly ReceivedMessage[], delaySeconds = 0): Promise<void> {
    const byQueue = new Map<string, ReceivedMessage[]>();
    for (const m of messages) byQueue.set(m.queueUrl, [...(byQueue.get(m.queueUrl) ?? []), m]);
    await Promise.all(
      [...byQueue].flatMap(([queueUrl, queued]) =>
        chunks(queued, 10).map(async (batch) => {
          const { Successful = [] } = await this.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((m, i) => ({ Id: String(i), MessageBody: m.body, DelaySeconds: delaySeconds })),
            }),
          );
          const copied = new Set(Successful.map((entry) => Number(entry.Id)));
          const [sent, unsent] = [batch.filter((_, i) => copied.has(i)), batch.filter((_, i) => !copied.has(i))];
          if (sent.length > 0) {
            await this.sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: sent.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
              }),
            );
          }
          await Promise.all(unsent.map((m) => this.setVisibility(m, delaySeconds)));
        }),
      ),
    );
  }

  private longPoll(queue: { key: QueueKey; url: string }, max: number): void {
    this.longPolls.add(queue.key);
    this.receiveFrom(queue, max, this.options.waitSeconds)
      .then(
        (messages) => this.arrived(messages),
        (error: unknown) => {
          const waiting = this.waiting;
          this.waiting = undefined;
          waiting?.reject(error);
        },
      )
      .finally(() => {
        this.longPolls.delete(queue.key);
        // Every queue came back empty: the receive returns nothing and the worker polls again.
        if (this.longPolls.size === 0) this.arrived([]);
      });
  }

  private arrived(messages: ReceivedMessage[]): void {
    const waiting = this.waiting;
    if (waiting && (messages.length > 0 || this.longPolls.size === 0)) {
      this.waiting = undefined;
      waiting.resolve(messages.slice(0, waiting.max));
    }
    const taken = waiting ? waiting.max : 0;
    const extra = messages.slice(taken);
    // Left alone, they would come back after their visibility timeout anyway: a failure only delays them.
    if (extra.length > 0) void this.handBack(extra).catch(() => undefined);
  }

  private async receiveFrom(
    queue: { key: QueueKey; url: string },
    max: number,
    waitSeconds: number,
  ): Promise<ReceivedMessage[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: this.options.visibilitySeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    return Messages.map((m: Message) => ({
      queue: queue.key,
      queueUrl: queue.url,
      body: m.Body ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
      sentAt: Number(m.Attributes?.SentTimestamp ?? Date.now()),
    }));
  }
}
