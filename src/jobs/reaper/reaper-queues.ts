import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type QueueTopology, queueAddress } from '../dispatch/index.ts';
import type { QueueKey } from '../model/index.ts';

/** A message taken from a work queue's SQS dead-letter queue. */
export interface DeadLetteredMessage {
  body: string;
  receiptHandle: string;
}

/** What the reaper needs of the work queues and their SQS dead-letter queues. */
export interface ReaperQueues {
  /** Messages ready to be received in a work queue now (SQS's approximate count). */
  waiting(key: QueueKey): Promise<number>;
  /** Up to ten messages of a work queue's DLQ, hidden from other readers for `hideSeconds`. */
  receiveDeadLettered(key: QueueKey, hideSeconds: number): Promise<DeadLetteredMessage[]>;
  deleteDeadLettered(key: QueueKey, messages: readonly DeadLetteredMessage[]): Promise<void>;
}

/** The reaper's queues on SQS. */
export class SqsReaperQueues implements ReaperQueues {
  constructor(
    private readonly sqs: SQSClient,
    private readonly topology: QueueTopology,
  ) {}

  async waiting(key: QueueKey): Promise<number> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueAddress(this.topology, key).url,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessages ?? 0);
  }

  async receiveDeadLettered(key: QueueKey, hideSeconds: number): Promise<DeadLetteredMessage[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueAddress(this.topology, key).dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: hideSeconds,
      }),
    );
    return Messages.map((m) => ({ body: m.Body ?? '', receiptHandle: m.ReceiptHandle ?? '' }));
  }

  async deleteDeadLettered(key: QueueKey, messages: readonly DeadLetteredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueAddress(this.topology, key).dlqUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
      }),
    );
  }
}
