import type { QueueTopology } from '../../src/jobs/dispatch/index.ts';
import { ALL_QUEUE_KEYS, type QueueKey } from '../../src/jobs/model/index.ts';

const BASE = 'https://sqs.us-east-1.amazonaws.com/000000000000';

/** The URL of a work queue of `queueTopology()`, and of its dead-letter queue. */
export const queueUrl = (key: QueueKey) => `${BASE}/${key}`;
export const deadLetterQueueUrl = (key: QueueKey) => `${BASE}/${key}-dlq`;

/** The start scheduler's queue, beside `queueTopology()`'s. */
export const SCHEDULER_QUEUE_URL = `${BASE}/scheduler`;
/** The checks queue (checks on immediate starts' messages). */
export const CHECKS_QUEUE_URL = `${BASE}/message-checks`;
/** What a dispatcher sends besides job messages to. */
export const DISPATCH_QUEUES = { schedulerQueueUrl: SCHEDULER_QUEUE_URL, checksQueueUrl: CHECKS_QUEUE_URL };

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
