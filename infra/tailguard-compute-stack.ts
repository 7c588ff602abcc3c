import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  type IVpc,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { type TailguardConfig, workerServicesParameter } from './config.ts';
import { Observability } from './observability.ts';
import type { TailguardCoreStack } from './tailguard-core-stack.ts';
import { WorkerServices } from './workers.ts';

export interface TailguardComputeStackProps extends StackProps {
  core: TailguardCoreStack;
  config: TailguardConfig;
}

/**
 * Workers on ECS and the deployment's dashboard and alarms. Separate from the core stack because
 * local emulators cannot run ECS (the local runtime starts the same worker as processes).
 */
export class TailguardComputeStack extends Stack {
  readonly vpc: IVpc;
  readonly workers: WorkerServices;
  readonly observability: Observability;
  /** Alarms and GPU scaling events; subscribe on-call here (or set tailguard:alarmEmail). */
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: TailguardComputeStackProps) {
    super(scope, id, props);
    const { core, config } = props;
    this.vpc = config.vpcId
      ? Vpc.fromLookup(this, 'Vpc', { vpcId: config.vpcId })
      : new Vpc(this, 'Vpc', {
          maxAzs: 2,
          natGateways: config.natGateways,
          subnetConfiguration: [
            { name: 'public', subnetType: SubnetType.PUBLIC },
            { name: 'workers', subnetType: SubnetType.PRIVATE_WITH_EGRESS },
          ],
          // DynamoDB and S3 (ECR image layers) traffic skips the NAT gateway, free of charge.
          gatewayEndpoints: {
            dynamodb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
            s3: { service: GatewayVpcEndpointAwsService.S3 },
          },
          flowLogs: {
            rejected: { destination: FlowLogDestination.toCloudWatchLogs(), trafficType: FlowLogTrafficType.REJECT },
          },
        });
    this.alarmTopic = new Topic(this, 'Alarms', {
      displayName: `${config.prefix} alarms`,
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    if (config.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(config.alarmEmail));
    this.workers = new WorkerServices(this, 'Workers', { core, vpc: this.vpc, config, notifications: this.alarmTopic });
    this.observability = new Observability(this, 'Observability', {
      core,
      workers: this.workers,
      config,
      alarmTopic: this.alarmTopic,
    });

    this.publishWorkerServices(core, config);

    new CfnOutput(this, 'ClusterName', { value: this.workers.cluster.clusterName });
    new CfnOutput(this, 'CpuServiceName', { value: this.workers.cpuService.serviceName });
    new CfnOutput(this, 'GpuServiceName', { value: this.workers.gpuService.serviceName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    const dashboard = this.observability.facade.createdDashboard();
    if (dashboard) {
      new CfnOutput(this, 'DashboardUrl', {
        value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${dashboard.dashboardName}`,
      });
    }
  }

  /**
   * Lets the core stack's straggler detector add workers without a stack cycle: the services are
   * published in SSM, and the detector's role gets its ECS permissions from this stack.
   */
  private publishWorkerServices(core: TailguardCoreStack, config: TailguardConfig): void {
    const { cluster, cpuService, gpuService } = this.workers;
    const parameter = new StringParameter(this, 'WorkerServices', {
      parameterName: workerServicesParameter(config),
      description: 'Tailguard worker services, for the straggler detector',
      stringValue: Stack.of(this).toJsonString({
        cluster: cluster.clusterName,
        services: { cpu: cpuService.serviceName, gpu: gpuService.serviceName },
        maxTasks: { cpu: config.cpuWorkerMaxTasks, gpu: config.gpuWorkerMaxTasks },
      }),
    });
    new Policy(this, 'DetectorAddsWorkers', {
      roles: [core.detection.function.role!],
      statements: [
        new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameter.parameterArn] }),
        new PolicyStatement({
          actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
          resources: [cpuService.serviceArn, gpuService.serviceArn],
        }),
      ],
    });
  }
}
