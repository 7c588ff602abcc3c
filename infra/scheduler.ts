import { type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Stack } from 'aws-cdk-lib';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { JobQueues } from './queues.ts';

/**
 * EventBridge Scheduler for starts beyond SQS's 15-minute delay: a schedule group for Tailguard's
 * one-time schedules and the role those schedules assume to send to the job queues.
 */
export class JobScheduler extends Construct {
  readonly group: CfnScheduleGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: { queues: JobQueues }) {
    super(scope, id);
    this.group = new CfnScheduleGroup(this, 'Group', {});
    this.role = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets Tailguard one-time schedules deliver job messages to the job queues',
    });
    for (const { queue } of props.queues.all) queue.grantSendMessages(this.role);
  }

  get groupName(): string {
    return this.group.ref;
  }

  /** Lets `grantee` create and delete one-time schedules in the group, passing only the delivery role. */
  grantCreateSchedules(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
        resources: [Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.groupName}/*` })],
      }),
    );
    this.role.grantPassRole(grantee.grantPrincipal);
  }
}
