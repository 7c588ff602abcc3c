import { Duration } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { TailguardConfig } from './config.ts';
import { coreSettings, processEnvironment } from './process-environment.ts';
import type { JobQueues } from './queues.ts';
import type { StartScheduler } from './start-scheduler.ts';
import type { JobStoreTables } from './store.ts';
import { startEveryMinute, tailguardFunction } from './tailguard-function.ts';

/**
 * The reaper: a Lambda started every minute that sends a fresh message to every job stuck
 * waiting for one (past its due time by `reaperGraceSeconds`, no live attempt), and empties the
 * queues' SQS dead-letter queues into their jobs (src/jobs/reaper.ts).
 */
export class Reaper extends Construct {
  readonly function: LambdaFunction;

  constructor(
    scope: Construct,
    id: string,
    props: { queues: JobQueues; store: JobStoreTables; scheduler: StartScheduler; config: TailguardConfig },
  ) {
    super(scope, id);
    const { queues, store, scheduler, config } = props;
    this.function = tailguardFunction(this, 'Function', {
      handlerDir: 'reaper',
      description: 'Re-dispatches jobs whose messages went missing and settles messages SQS dead-lettered',
      // One pass a minute, or (a shorter interval) a pass every interval for most of the minute.
      timeout: Duration.seconds(80),
      memorySize: 256,
      environment: processEnvironment(this, 'reaper', {
        ...coreSettings(props),
        reaper: { graceMs: config.reaperGraceSeconds * 1000, intervalMs: config.reaperIntervalSeconds * 1000 },
      }),
    });
    store.grantJobs(this.function, 'read', 'write', 'listByStatus');
    queues.grantSend(this.function);
    queues.grantReadDepth(this.function);
    queues.grantConsumeDeadLetters(this.function);
    scheduler.requests.grantSendMessages(this.function);
    startEveryMinute(this, this.function, 'Starts the reaper');
  }
}
