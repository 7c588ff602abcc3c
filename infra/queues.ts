import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_SQS_DELAY_SECONDS } from '../src/jobs/dispatch/index.ts';
import { ALL_QUEUE_KEYS, type Capacity, PRIORITIES, type QueueKey, queueKey } from '../src/jobs/model/index.ts';

/**
 * Receives of one message before SQS moves it to the DLQ. Above the largest `maxAttempts` (25):
 * a job whose worker keeps dying is ended DEAD by its lease-expiry claims, counted as attempts,
 * well before this; redrive catches the messages no worker can claim at all.
 */
export const MAX_RECEIVE_COUNT = 30;

export interface JobQueuePair {
  queue: Queue;
  deadLetterQueue: Queue;
}

/** SQS's longest retention: a message waits at most this long (docs/architecture: a job queued longer gets a fresh one). */
export const MESSAGE_RETENTION = Duration.days(14);

/** Checks delivered this many times without the reaper settling them go to the checks' DLQ. */
const CHECK_MAX_RECEIVES = 10;

/**
 * One SQS queue per capacity class and priority, each with its own redrive DLQ. Workers keep the
 * visibility of a running job's message extended by heartbeats, so the timeout here only bounds
 * how long a message of a crashed worker stays hidden. Beside them, the checks queue: every
 * immediate start arms a check there, which its delivery delay (the reaper's grace, at most SQS's
 * 15 minutes) holds back until the reaper should look at the job (src/jobs/reaper/message-checks.ts).
 */
export class JobQueues extends Construct {
  readonly byKey: Record<QueueKey, JobQueuePair>;
  readonly checks: JobQueuePair;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy; checkDelay: Duration }) {
    super(scope, id);
    const pair = (name: string, options: QueueProps & { maxReceiveCount: number }): JobQueuePair => {
      const { maxReceiveCount, ...queueOptions } = options;
      const deadLetterQueue = new Queue(this, `${name}-dlq`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: MESSAGE_RETENTION,
        removalPolicy: props.removalPolicy,
      });
      const queue = new Queue(this, name, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: MESSAGE_RETENTION,
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
        removalPolicy: props.removalPolicy,
        ...queueOptions,
      });
      return { queue, deadLetterQueue };
    };
    const pairs = ALL_QUEUE_KEYS.map((key): [QueueKey, JobQueuePair] => [
      key,
      pair(key, {
        visibilityTimeout: Duration.seconds(60),
        receiveMessageWaitTime: Duration.seconds(20),
        maxReceiveCount: MAX_RECEIVE_COUNT,
      }),
    ]);
    this.byKey = Object.fromEntries(pairs) as Record<QueueKey, JobQueuePair>;
    this.checks = pair('message-checks', {
      deliveryDelay: Duration.seconds(Math.min(props.checkDelay.toSeconds(), MAX_SQS_DELAY_SECONDS)),
      visibilityTimeout: Duration.seconds(60),
      maxReceiveCount: CHECK_MAX_RECEIVES,
    });
  }

  get all(): JobQueuePair[] {
    return Object.values(this.byKey);
  }

  /** Visible messages of a class's queues per minute, keyed `<prefix><i>` by priority (highest first), for metric math. */
  visibleMessages(capacity: Capacity, prefix: string): Record<string, Metric> {
    return Object.fromEntries(
      PRIORITIES.map((priority, i) => [
        `${prefix}${i}`,
        this.byKey[queueKey(capacity, priority)].queue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Sum',
          period: Duration.minutes(1),
        }),
      ]),
    );
  }

  /** Lets `grantee` send job messages to every work queue, and the checks on them. */
  grantSend(grantee: IGrantable): void {
    for (const { queue } of [...this.all, this.checks]) queue.grantSendMessages(grantee);
  }

  /** Lets `grantee` read the depth of every work queue and DLQ. */
  grantReadDepth(grantee: IGrantable): void {
    for (const { queue, deadLetterQueue } of this.all) {
      queue.grant(grantee, 'sqs:GetQueueAttributes');
      deadLetterQueue.grant(grantee, 'sqs:GetQueueAttributes');
    }
  }

  /** Lets `grantee` read and delete the messages of every DLQ. */
  grantConsumeDeadLetters(grantee: IGrantable): void {
    for (const { deadLetterQueue } of this.all) deadLetterQueue.grantConsumeMessages(grantee);
  }

  /** Lets `grantee` move messages from each DLQ back to its queue. */
  grantRedrive(grantee: IGrantable): void {
    for (const { queue, deadLetterQueue } of this.all) {
      deadLetterQueue.grantConsumeMessages(grantee);
      queue.grantSendMessages(grantee);
    }
  }

  /** `{key: {url, arn, dlqUrl, dlqArn}}` for every work queue: the `queues` setting of src/aws/environment. */
  topology(): Record<QueueKey, { url: string; arn: string; dlqUrl: string; dlqArn: string }> {
    return mapPairs(this.byKey, ({ queue, deadLetterQueue }) => ({
      url: queue.queueUrl,
      arn: queue.queueArn,
      dlqUrl: deadLetterQueue.queueUrl,
      dlqArn: deadLetterQueue.queueArn,
    }));
  }
}

function mapPairs<T>(byKey: Record<QueueKey, JobQueuePair>, f: (pair: JobQueuePair) => T): Record<QueueKey, T> {
  return Object.fromEntries(Object.entries(byKey).map(([key, pair]) => [key, f(pair)])) as Record<QueueKey, T>;
}
