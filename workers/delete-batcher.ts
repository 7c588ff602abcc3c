import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS takes at most this many entries in one batch call. */
const MAX_BATCH = 10;

export interface DeleteBatcherOptions {
  /** Longest a finished message waits for others of its queue to share a batch. @default 20 */
  maxWaitMs: number;
  /** A delete that failed: its message comes back after its visibility timeout, and is dropped then. */
  onError(error: unknown, messages: number): void;
}

/**
 * Deletes finished messages in batches: one DeleteMessageBatch per queue for up to ten messages
 * that finished within `maxWaitMs` of each other, instead of a DeleteMessage each — a busy worker
 * pays about a tenth of a request per job for it. Nobody waits for a delete: the job is settled
 * in the table before its message goes, so a delete that is late, or lost with the process, only
 * brings the message back after its visibility timeout, to a worker that finds the job finished
 * and drops it.
 */
export class DeleteBatcher {
  private readonly pending = new Map<string, { handles: string[]; timer: NodeJS.Timeout }>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: DeleteBatcherOptions,
  ) {}

  /** Queues a message's delete; it goes with the next batch of its queue. */
  add(queueUrl: string, receiptHandle: string): void {
    const batch = this.pending.get(queueUrl) ?? {
      handles: [],
      timer: setTimeout(() => this.send(queueUrl), this.options.maxWaitMs),
    };
    batch.handles.push(receiptHandle);
    this.pending.set(queueUrl, batch);
    if (batch.handles.length >= MAX_BATCH) this.send(queueUrl);
  }

  /** Sends every waiting delete now and waits for all deletes in flight (a stopping worker). */
  async flush(): Promise<void> {
    for (const queueUrl of [...this.pending.keys()]) this.send(queueUrl);
    await Promise.allSettled([...this.inFlight]);
  }

  private send(queueUrl: string): void {
    const batch = this.pending.get(queueUrl);
    if (!batch) return;
    clearTimeout(batch.timer);
    this.pending.delete(queueUrl);
    const sent: Promise<void> = this.sqs
      .send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.handles.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
        }),
      )
      .then(({ Failed = [] }) => {
        if (Failed.length > 0) this.options.onError(new Error(Failed.map((f) => f.Message).join('; ')), Failed.length);
      })
      .catch((error: unknown) => this.options.onError(error, batch.handles.length))
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }
}
