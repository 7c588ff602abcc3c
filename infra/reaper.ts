import { Duration } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { TailguardConfig } from './config.ts';
import { coreSettings, processEnvironment } from './process-environment.ts';
import type { JobQueues } from './queues.ts';
import type { StartScheduler } from './start-scheduler.ts';
import type { JobStoreTables } from './store.ts';
import { startEveryMinute, tailguardFunction } from './tailguard-function.ts';

/**
 * No job left behind (src/jobs/reaper/): a Lambda started every minute that sends a fresh message
 * to every delayed or retrying job stuck waiting for one (past its due time by
 * `reaperGraceSeconds`, no live attempt) and empties the queues' SQS dead-letter queues into their
 * jobs; and a Lambda fed by the checks queue that reviews every immediate start's check a grace
 * period after it, sending a fresh message to a job whose message is gone.
 */
export class Reaper extends Construct {
  readonly function: LambdaFunction;
  readonly checkReviewer: LambdaFunction;

  constructor(
    scope: Construct,
    id: string,
    props: { queues: JobQueues; store: JobStoreTables; scheduler: StartScheduler; config: TailguardConfig },
  ) {
    super(scope, id);
    const { queues, store, scheduler, config } = props;
    const reaper = { graceMs: config.reaperGraceSeconds * 1000, intervalMs: config.reaperIntervalSeconds * 1000 };
    this.function = tailguardFunction(this, 'Function', {
      handlerDir: 'reaper',
      description: 'Re-dispatches jobs whose messages went missing and settles messages SQS dead-lettered',
      // One pass a minute, or (a shorter interval) a pass every interval for most of the minute.
      timeout: Duration.seconds(80),
      memorySize: 256,
      environment: processEnvironment(this, 'reaper', {
        ...coreSettings(props),
        reaper,
        fairness: { windowPerWeight: config.fairnessWindowPerWeight },
      }),
    });
    // Each pass releases held jobs no claim released (src/jobs/fairness).
    if (config.fairnessWindowPerWeight > 0) store.grantCoordination(this.function, 'windows');
    // readMany: a stalled workflow's steps and their jobs.
    store.grantJobs(this.function, 'read', 'readMany', 'write', 'listByStatus');
    queues.grantSend(this.function);
    queues.grantReadDepth(this.function);
    queues.grantConsumeDeadLetters(this.function);
    scheduler.requests.grantSendMessages(this.function);
    store.grantCoordination(this.function, 'queuedCounts');
    startEveryMinute(this, this.function, 'Starts the reaper');

    this.checkReviewer = tailguardFunction(this, 'CheckReviewer', {
      handlerDir: 'review-checks',
      description: "Reviews checks on jobs' messages a grace period after each start; re-sends the ones that are gone",
      timeout: Duration.seconds(50),
      memorySize: 256,
      environment: processEnvironment(this, 'reviewChecks', {
        ...coreSettings(props),
        reaper,
      }),
    });
    store.grantJobs(this.checkReviewer, 'readMany', 'write');
    store.grantCoordination(this.checkReviewer, 'checkRecords');
    queues.grantSend(this.checkReviewer);
    queues.grantReadDepth(this.checkReviewer);
    // Many checks a delivery: one read of their jobs, one count per queue with waiting jobs.
    this.checkReviewer.addEventSource(
      new SqsEventSource(queues.checks.queue, { batchSize: 100, maxBatchingWindow: Duration.seconds(5) }),
    );
  }
}
