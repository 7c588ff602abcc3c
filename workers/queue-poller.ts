import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueKey } from '../src/jobs/classes.ts';
import { pollOrder } from './poll-order.ts';

export interface ReceivedMessage {
  queue: QueueKey;
  queueUrl: string;
  body: string;
  receiptHandle: string;
  receiveCount: number;
}

export interface PollerOptions {
  /** Long-poll wait when every queue is empty. */
  waitSeconds: number;
  /** Initial visibility of received messages; heartbeats extend it. */
  visibilitySeconds: number;
  /** Every n-th receive leads with a lower priority (see pollOrder). */
  starvationGuardEvery: number;
}

/**
 * Receives work from one capacity class's queues in priority order. A sweep of short polls finds
 * the highest non-empty queue; when all are empty, all are long-polled at once so a message on any
 * of them wakes the worker, and what arrives beyond the free slots goes straight back.
 */
export class QueuePoller {
  private pollNumber = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: readonly { key: QueueKey; url: string }[],
    private readonly options: PollerOptions,
  ) {}

  async receive(max: number): Promise<ReceivedMessage[]> {
    this.pollNumber++;
    const order = pollOrder(this.queues, this.pollNumber, this.options.starvationGuardEvery);
    for (const queue of order) {
      const messages = await this.receiveFrom(queue, max, 0);
      if (messages.length > 0) return messages;
    }
    const arrivals = (await Promise.all(order.map((q) => this.receiveFrom(q, max, this.options.waitSeconds)))).flat();
    const keep = arrivals.slice(0, max);
    await Promise.all(arrivals.slice(max).map((m) => this.setVisibility(m, 0)));
    return keep;
  }

  async delete(message: ReceivedMessage): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: message.queueUrl, ReceiptHandle: message.receiptHandle }));
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

  private async receiveFrom(queue: { key: QueueKey; url: string }, max: number, waitSeconds: number): Promise<ReceivedMessage[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: this.options.visibilitySeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return Messages.map((m: Message) => ({
      queue: queue.key,
      queueUrl: queue.url,
      body: m.Body ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
    }));
  }
}
