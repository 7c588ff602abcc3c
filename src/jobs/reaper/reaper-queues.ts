import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { encodeMessageCheck, type MessageCheck, type QueueTopology, queueAddress } from '../dispatch/index.ts';
import type { QueueKey } from '../model/index.ts';

/** A message taken from a queue: a work queue's SQS dead-letter queue, or the checks queue. */
export interface ReceivedBody {
  body: string;
  receiptHandle: string;
}
export type DeadLetteredMessage = ReceivedBody;

/** What the reaper needs of the checks queue (dispatch/message-check.ts). */
export interface CheckQueue {
  /** Up to ten due checks, hidden from other readers for `hideSeconds`. */
  receive(hideSeconds: number): Promise<ReceivedBody[]>;
  delete(messages: readonly ReceivedBody[]): Promise<void>;
  /** Puts a check back, due in `delaySeconds` (at most SQS's 900). */
  recheck(check: MessageCheck, delaySeconds: number): Promise<void>;
}

/** What the reaper needs of the work queues and their SQS dead-letter queues. */
export interface ReaperQueues {
  /** Messages ready to be received in a work queue now (SQS's approximate count). */
  waiting(key: QueueKey): Promise<number>;
  /** Every message a work queue holds: ready, received and not yet deleted, or delayed (approximate). */
  held(key: QueueKey): Promise<number>;
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
    return (await this.counts(key, ['ApproximateNumberOfMessages']))[0]!;
  }

  async held(key: QueueKey): Promise<number> {
    const counts = await this.counts(key, [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ]);
    return counts.reduce((a, b) => a + b, 0);
  }

  receiveDeadLettered(key: QueueKey, hideSeconds: number): Promise<DeadLetteredMessage[]> {
    return receiveBodies(this.sqs, queueAddress(this.topology, key).dlqUrl, hideSeconds);
  }

  deleteDeadLettered(key: QueueKey, messages: readonly DeadLetteredMessage[]): Promise<void> {
    return deleteBodies(this.sqs, queueAddress(this.topology, key).dlqUrl, messages);
  }

  private async counts(key: QueueKey, names: QueueAttributeName[]): Promise<number[]> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueAddress(this.topology, key).url, AttributeNames: names }),
    );
    return names.map((name) => Number(Attributes[name] ?? 0));
  }
}

/** The checks queue on SQS. */
export class SqsCheckQueue implements CheckQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly url: string,
  ) {}

  receive(hideSeconds: number): Promise<ReceivedBody[]> {
    return receiveBodies(this.sqs, this.url, hideSeconds);
  }

  delete(messages: readonly ReceivedBody[]): Promise<void> {
    return deleteBodies(this.sqs, this.url, messages);
  }

  async recheck(check: MessageCheck, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: encodeMessageCheck(check),
        DelaySeconds: delaySeconds,
      }),
    );
  }
}

async function receiveBodies(sqs: SQSClient, url: string, hideSeconds: number): Promise<ReceivedBody[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: hideSeconds,
    }),
  );
  return Messages.map((m) => ({ body: m.Body ?? '', receiptHandle: m.ReceiptHandle ?? '' }));
}

async function deleteBodies(sqs: SQSClient, url: string, messages: readonly ReceivedBody[]): Promise<void> {
  if (messages.length === 0) return;
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: url,
      Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
    }),
  );
}
