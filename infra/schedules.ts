import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SectionsInput } from '../src/aws/environment/index.ts';
import {
  fireTarget,
  RECURRING_PREFIX,
  type ScheduleRequestInput,
  ScheduleRequestSchema,
} from '../src/jobs/schedules/index.ts';
import { nag } from './nag.ts';
import { coreSettings, processEnvironment } from './process-environment.ts';
import type { JobQueues } from './queues.ts';
import type { StartScheduler } from './start-scheduler.ts';
import type { JobStoreTables } from './store.ts';
import { tailguardFunction } from './tailguard-function.ts';

export interface SchedulesProps {
  queues: JobQueues;
  store: JobStoreTables;
  scheduler: StartScheduler;
  removalPolicy: RemovalPolicy;
  /** Recurring schedules deployed with the stack, checked at synth as `POST /schedules` checks a body. @default none */
  schedules?: readonly ScheduleRequestInput[];
}

/**
 * Recurring jobs (src/jobs/schedules/): EventBridge Scheduler schedules in Tailguard's schedule
 * group, made by `POST /schedules` or deployed from the construct's `schedules`, send each fire to
 * the fire queue; the fire Lambda makes its job, once per schedule and fire time. Fires Scheduler
 * cannot deliver for a day, and fires the Lambda fails five times, end in the fire dead-letter queue.
 */
export class Schedules extends Construct {
  readonly fires: Queue;
  readonly deadLetters: Queue;
  /** The role Scheduler assumes to send fires. */
  readonly deliveryRole: Role;
  readonly function: LambdaFunction;
  private readonly scheduler: StartScheduler;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    this.scheduler = props.scheduler;
    this.deadLetters = new Queue(this, 'FiresDlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.fires = new Queue(this, 'Fires', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(60),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
      removalPolicy: props.removalPolicy,
    });
    this.deliveryRole = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets Tailguard recurring schedules send their fires (and undeliverable ones to the DLQ)',
    });
    this.fires.grantSendMessages(this.deliveryRole);
    this.deadLetters.grantSendMessages(this.deliveryRole);

    this.function = tailguardFunction(this, 'FireFunction', {
      handlerDir: 'fire-schedule',
      description: "Makes each recurring schedule fire's job, once per schedule and fire time",
      timeout: Duration.seconds(30),
      environment: processEnvironment(this, 'fireSchedule', {
        ...coreSettings(props),
        recurringSchedules: this.settings(),
      }),
    });
    this.function.addEventSource(new SqsEventSource(this.fires, { batchSize: 10, reportBatchItemFailures: true }));
    props.store.grantJobs(this.function, 'read', 'write');
    props.store.grantIdempotencyKeys(this.function);
    props.store.grantCoordination(this.function, 'scheduleFires');
    props.queues.grantSend(this.function);
    props.scheduler.requests.grantSendMessages(this.function);
    // bufferOne: a held-back fire goes back to the queue to look again later.
    this.fires.grantSendMessages(this.function);

    for (const schedule of props.schedules ?? []) this.deploy(schedule);
  }

  /** What a process needs to make schedules whose fires reach this construct. */
  settings(): SectionsInput<'recurringSchedules'>['recurringSchedules'] {
    return {
      fireQueueUrl: this.fires.queueUrl,
      fireQueueArn: this.fires.queueArn,
      fireRoleArn: this.deliveryRole.roleArn,
      fireDeadLetterArn: this.deadLetters.queueArn,
    };
  }

  /**
   * Lets the `/schedules` routes make, read, pause and delete recurring schedules (only those, in
   * Tailguard's group), hand Scheduler the delivery role, and read and forget fire logs.
   */
  grantManage(grantee: IGrantable & Construct, store: JobStoreTables): void {
    const schedules = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduler.groupName}/${RECURRING_PREFIX}*`,
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'scheduler:CreateSchedule',
          'scheduler:GetSchedule',
          'scheduler:UpdateSchedule',
          'scheduler:DeleteSchedule',
        ],
        resources: [schedules],
      }),
    );
    // ListSchedules takes no resource; the routes list only their group's `recurring-` schedules.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['scheduler:ListSchedules'], resources: ['*'] }),
    );
    this.deliveryRole.grantPassRole(grantee.grantPrincipal);
    store.grantCoordination(grantee, 'readScheduleFires', 'forgetScheduleFires');
    store.grantJobs(grantee, 'readMany');
    nag.recurringSchedules(grantee);
  }

  /** A schedule from the construct's props, checked as the API checks a body, deployed in the group. */
  private deploy(input: ScheduleRequestInput): void {
    const parsed = ScheduleRequestSchema.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(schedule)'}: ${i.message}`);
      throw new Error(`Tailguard schedules: ${JSON.stringify(input.name)} is invalid: ${issues.join('; ')}`);
    }
    const schedule = parsed.data;
    const target = fireTarget(
      { queueArn: this.fires.queueArn, roleArn: this.deliveryRole.roleArn, deadLetterArn: this.deadLetters.queueArn },
      { schedule: schedule.name, overlap: schedule.overlap, job: schedule.job },
    );
    new CfnSchedule(this, `Schedule-${schedule.name}`, {
      name: RECURRING_PREFIX + schedule.name,
      groupName: this.scheduler.groupName,
      scheduleExpression: (schedule.cron ?? schedule.rate)!,
      scheduleExpressionTimezone: schedule.timezone,
      startDate: schedule.startAt,
      endDate: schedule.endAt,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      description: `Tailguard recurring job ${schedule.job.type} (deployed with the stack)`,
      target: {
        arn: target.Arn,
        roleArn: target.RoleArn,
        input: target.Input,
        retryPolicy: {
          maximumEventAgeInSeconds: target.RetryPolicy.MaximumEventAgeInSeconds,
          maximumRetryAttempts: target.RetryPolicy.MaximumRetryAttempts,
        },
        deadLetterConfig: { arn: target.DeadLetterConfig.Arn },
      },
    });
  }
}
