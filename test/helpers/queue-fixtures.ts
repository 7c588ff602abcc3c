import type { QueueTopology } from '../../src/jobs/dispatch/index.ts';
import { ALL_QUEUE_KEYS, type QueueKey } from '../../src/jobs/model/index.ts';

const BASE = 'https://sqs.us-east-1.amazonaws.com/000000000000';

/** The URL of a work queue of `queueTopology()`, and of its dead-letter queue. */
export const queueUrl = (key: QueueKey) => `${BASE}/${key}`;
export const deadLetterQueueUrl = (key: QueueKey) => `${BASE}/${key}-dlq`;

/** The start scheduler's queue, beside `queueTopology()`'s. */
export const SCHEDULER_QUEUE_URL = `${BASE}/scheduler`;

/** Every work queue, each with its own URL, so a test sees which queue a call went to. */
export const queueTopology = (): QueueTopology =>
  Object.fromEntries(
    ALL_QUEUE_KEYS.map((key) => [
      key,
      {
        url: queueUrl(key),
        arn: `arn:aws:sqs:us-east-1:000000000000:${key}`,
        dlqUrl: deadLetterQueueUrl(key),
        dlqArn: `arn:aws:sqs:us-east-1:000000000000:${key}-dlq`,
      },
    ]),
  );
