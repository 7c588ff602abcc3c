import { Duration } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type TailguardConfig, workerServicesParameter } from './config.ts';
import { coreSettings, processEnvironment } from './process-environment.ts';
import type { JobQueues } from './queues.ts';
import type { StartScheduler } from './start-scheduler.ts';
import type { JobStoreTables } from './store.ts';
import { startEveryMinute, tailguardFunction } from './tailguard-function.ts';

/**
 * The straggler detector: a Lambda started every minute by an EventBridge rule that loops for
 * most of its 80 s timeout (a pass every `detectorIntervalSeconds`), reads running attempts' heartbeats and the
 * run-time histograms, and launches speculative backups within the budget.
 */
export class StragglerDetector extends Construct {
  readonly function: LambdaFunction;

  constructor(
    scope: Construct,
    id: string,
    props: { queues: JobQueues; store: JobStoreTables; scheduler: StartScheduler; config: TailguardConfig },
  ) {
    super(scope, id);
    const { queues, store, scheduler, config } = props;
    this.function = tailguardFunction(this, 'Function', {
      handlerDir: 'straggler-detector',
      description: 'Flags straggling attempts from heartbeats and races speculative backups against them',
      // Runs overlap by ~20 s: a rule fires within its minute, not on the second, so one ending
      // before the next starts would leave gaps; passes over a class take turns (the budget).
      timeout: Duration.seconds(80),
      memorySize: 256,
      environment: processEnvironment(this, 'stragglerDetector', {
        ...coreSettings(props),
        detector: {
          intervalMs: Math.round(config.detectorIntervalSeconds * 1000),
          budgetFraction: config.speculationBudget,
          slowFactor: config.stragglerSlowFactor,
          minSamples: config.stragglerMinSamples,
          minElapsedMs: config.stragglerMinElapsedMs,
          backupStartMs: config.stragglerBackupStartMs,
          capacityWaitMs: config.capacityWaitSeconds * 1000,
          ...(config.localCapacityHookUrl
            ? { capacityHookUrl: config.localCapacityHookUrl }
            : { workerServicesParameter: workerServicesParameter(config) }),
        },
      }),
    });
    store.grantJobs(this.function, 'read', 'readMany', 'write');
    store.grantStats(this.function, 'read');
    store.grantWorkers(this.function, 'list');
    store.grantCoordination(this.function, 'turns');
    queues.grantSend(this.function);
    scheduler.requests.grantSendMessages(this.function);
    startEveryMinute(this, this.function, 'Starts the straggler detector; each run loops for the minute');
  }
}
