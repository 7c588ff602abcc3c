import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV } from '../src/aws/environment/index.ts';
import { registry } from '../workers/handlers.ts';
import type { TailguardConfig } from './config.ts';
import { IntakeApi } from './intake-api.ts';
import { JobQueues } from './queues.ts';
import { Reaper } from './reaper.ts';
import { StartScheduler } from './start-scheduler.ts';
import { JobStoreTables } from './store.ts';
import { StragglerDetection } from './straggler-detection.ts';

export interface TailguardCoreStackProps extends StackProps {
  /** RETAIN keeps queues and tables when the stack is deleted; the default for real accounts. */
  removalPolicy?: RemovalPolicy;
  /** Job types accepted at intake; defaults to those registered in workers/handlers.ts. */
  jobTypes?: readonly string[];
  config: TailguardConfig;
}

/**
 * The serverless core: queues, tables, scheduler and intake API. It holds no ECS resources, so it
 * deploys unchanged to a local emulator, where workers run as plain processes.
 */
export class TailguardCoreStack extends Stack {
  readonly queues: JobQueues;
  readonly store: JobStoreTables;
  readonly intake: IntakeApi;
  readonly scheduler: StartScheduler;
  readonly detection: StragglerDetection;
  readonly reaper: Reaper;

  constructor(scope: Construct, id: string, props: TailguardCoreStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.queues = new JobQueues(this, 'Queues', { removalPolicy });
    this.store = new JobStoreTables(this, 'Store', { removalPolicy });
    this.scheduler = new StartScheduler(this, 'StartScheduler', { queues: this.queues, removalPolicy });
    this.intake = new IntakeApi(this, 'Intake', {
      queues: this.queues,
      store: this.store,
      scheduler: this.scheduler,
      jobTypes: props.jobTypes ?? registry.types,
      auth: props.config.apiAuth,
      throttling: { rateLimit: props.config.apiRateLimit, burstLimit: props.config.apiBurstLimit },
      faultInjection: props.config.faultInjection === 'on',
    });

    this.detection = new StragglerDetection(this, 'StragglerDetection', {
      queues: this.queues,
      store: this.store,
      scheduler: this.scheduler,
      config: props.config,
    });
    this.reaper = new Reaper(this, 'Reaper', {
      queues: this.queues,
      store: this.store,
      scheduler: this.scheduler,
      config: props.config,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.intake.api.url, description: 'Base URL of the Tailguard API' });
    new CfnOutput(this, 'ApiId', { value: this.intake.api.restApiId });
    new CfnOutput(this, 'ApiAuth', {
      value: props.config.apiAuth,
      description: 'iam: sign requests with SigV4; apiKey: send x-api-key',
    });
    if (this.intake.apiKey)
      new CfnOutput(this, 'ApiKeyId', {
        value: this.intake.apiKey.keyId,
        description: 'aws apigateway get-api-key --include-value --api-key <id>',
      });
    new CfnOutput(this, 'ApiStage', { value: this.intake.api.deploymentStage.stageName });
    new CfnOutput(this, 'JobsTableName', { value: this.store.jobs.tableName });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.store.idempotency.tableName });
    new CfnOutput(this, 'QueueTopology', {
      value: this.toJsonString(this.queues.topology()),
      description: `Work queues by capacity-priority: the ${ENV.queues} setting of workers`,
    });
    new CfnOutput(this, 'StatsTableName', { value: this.store.stats.tableName });
    new CfnOutput(this, 'WorkersTableName', { value: this.store.workers.tableName });
    new CfnOutput(this, 'StragglerDetectorName', { value: this.detection.function.functionName });
    new CfnOutput(this, 'ReaperName', { value: this.reaper.function.functionName });
    new CfnOutput(this, 'SchedulerQueueUrl', { value: this.scheduler.requests.queueUrl });
    new CfnOutput(this, 'ScheduleGroup', { value: this.scheduler.groupName });
  }
}
