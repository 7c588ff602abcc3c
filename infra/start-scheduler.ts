import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { nag } from './nag.ts';
import { processEnvironment } from './process-environment.ts';
import type { JobQueues } from './queues.ts';
import { tailguardFunction } from './tailguard-function.ts';

/**
 * Starts beyond SQS's 15-minute delay: retries with long backoff and jobs scheduled far ahead.
 * Producers send a scheduled start to this construct's queue; the start-scheduler Lambda turns it
 * into a one-time EventBridge Scheduler `at()` schedule that delivers the request back to the
 * same queue shortly before it is due, and then into a delayed job message.
 */
export class StartScheduler extends Construct {
  readonly requests: Queue;
  readonly group: CfnScheduleGroup;
  readonly deliveryRole: Role;
  readonly function: LambdaFunction;

  constructor(scope: Construct, id: string, props: { queues: JobQueues; removalPolicy: RemovalPolicy }) {
    super(scope, id);
    const deadLetters = new Queue(this, 'RequestsDlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.requests = new Queue(this, 'Requests', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(60),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
      removalPolicy: props.removalPolicy,
    });
    this.group = new CfnScheduleGroup(this, 'Group', {});
    this.deliveryRole = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets Tailguard one-time schedules hand scheduled starts back to the start scheduler',
    });
    this.requests.grantSendMessages(this.deliveryRole);

    this.function = tailguardFunction(this, 'Function', {
      handlerDir: 'start-scheduler',
      description:
        'Turns far-off job starts into EventBridge Scheduler schedules, and due ones into delayed job messages',
      timeout: Duration.seconds(30),
      environment: processEnvironment(this, 'startScheduler', {
        queues: { topology: props.queues.topology() },
        dispatch: { schedulerQueueUrl: this.requests.queueUrl, checksQueueUrl: props.queues.checks.queue.queueUrl },
        startScheduler: { queueArn: this.requests.queueArn, roleArn: this.deliveryRole.roleArn },
        schedules: { groupName: this.groupName },
      }),
    });
    this.function.addEventSource(new SqsEventSource(this.requests, { batchSize: 10, reportBatchItemFailures: true }));
    props.queues.grantSend(this.function);
    this.requests.grantSendMessages(this.function);
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [this.scheduleArns()] }),
    );
    this.deliveryRole.grantPassRole(this.function.grantPrincipal);
    nag.scheduleGroupWildcard(this.function);
  }

  get groupName(): string {
    return this.group.ref;
  }

  /** ARN pattern of every schedule in the group (for CreateSchedule and DeleteSchedule grants). */
  scheduleArns(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.groupName}/*`,
    });
  }
}
