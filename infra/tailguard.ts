import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { MANIFEST_OUTPUT_SUFFIX, type TailguardManifest } from '../src/aws/manifest.ts';
import type { Capacity } from '../src/jobs/model/index.ts';
import { type TailguardConfig, workerServicesParameter } from './config.ts';
import { IntakeApi } from './intake-api.ts';
import { Observability } from './observability.ts';
import { PayloadBucket } from './payloads.ts';
import { JobQueues } from './queues.ts';
import { Reaper } from './reaper.ts';
import { Schedules } from './schedules.ts';
import { StartScheduler } from './start-scheduler.ts';
import { JobStoreTables } from './store.ts';
import { StragglerDetector } from './straggler-detector.ts';
import { configFromProps, type TailguardProps } from './tailguard-props.ts';
import { WorkerServices } from './workers.ts';

export type { CpuWorkerPoolProps, GpuWorkerPoolProps, TailguardProps, WorkerPoolProps } from './tailguard-props.ts';

/**
 * Tailguard in a team's own CDK app: per-priority SQS queues per capacity class with DLQs, the
 * jobs and idempotency tables, the intake API, the start scheduler, the straggler detector, the
 * reaper, and — outside the local emulator — the team's worker images on ECS (Fargate for cpu, GPU
 * instances for gpu), a dashboard and alarms.
 *
 *   new Tailguard(this, 'Jobs', { workers: { cpu: { image: ContainerImage.fromAsset('worker') } } });
 *
 * Its resources are public fields so teams can extend them (grant a table, add an alarm).
 */
export class Tailguard extends Construct {
  readonly queues: JobQueues;
  readonly store: JobStoreTables;
  readonly intake: IntakeApi;
  readonly scheduler: StartScheduler;
  /** Recurring jobs: the fire queue, its Lambda, and the schedules deployed from `schedules`. */
  readonly schedules: Schedules;
  readonly detector: StragglerDetector;
  readonly reaper: Reaper;
  /** Payloads and results too large for a job's item, and callers' uploads. */
  readonly payloads: PayloadBucket;
  /** The settings every part was built with, defaults applied. */
  readonly config: TailguardConfig;
  /** Undefined on an emulator (`local`), which cannot run ECS. */
  readonly vpc?: IVpc;
  readonly workers?: WorkerServices;
  readonly observability?: Observability;
  /** Alarms and GPU scaling events; subscribe on-call here (or set `alarms.email`). */
  readonly alarmTopic?: ITopic;

  constructor(scope: Construct, id: string, props: TailguardProps = {}) {
    super(scope, id);
    const config = configFromProps(props, this.node);
    this.config = config;
    // A limit on a type intake refuses can only be a typo.
    const unaccepted = Object.keys(config.typeLimits).filter((type) => props.jobTypes?.includes(type) === false);
    if (unaccepted.length > 0)
      throw new Error(`typeLimits names job types that jobTypes does not accept: ${unaccepted.join(', ')}`);
    const local = props.local ?? String(this.node.tryGetContext('tailguard:local')) === 'true';
    const removalPolicy = props.removalPolicy ?? (local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);

    this.queues = new JobQueues(this, 'Queues', {
      removalPolicy,
      checkDelay: Duration.seconds(config.reaperGraceSeconds),
    });
    this.store = new JobStoreTables(this, 'Store', {
      removalPolicy,
      keepLegacyStatusIndex: props.keepLegacyStatusIndex,
    });
    this.scheduler = new StartScheduler(this, 'StartScheduler', { queues: this.queues, removalPolicy });
    this.payloads = new PayloadBucket(this, 'Payloads', {
      removalPolicy,
      retentionDays: config.payloadRetentionDays,
      inlineBytes: config.payloadInlineBytes,
      maxBytes: config.payloadMaxBytes,
    });
    this.schedules = new Schedules(this, 'Schedules', {
      queues: this.queues,
      store: this.store,
      scheduler: this.scheduler,
      removalPolicy,
      schedules: props.schedules,
    });
    this.intake = new IntakeApi(this, 'Intake', {
      queues: this.queues,
      store: this.store,
      scheduler: this.scheduler,
      payloads: this.payloads,
      schedules: this.schedules,
      jobTypes: props.jobTypes,
      typeLimits: config.typeLimits,
      tenants: config.tenants,
      fairness: { windowPerWeight: config.fairnessWindowPerWeight },
      kind: config.apiKind,
      auth: config.apiAuth,
      throttling: { rateLimit: config.apiRateLimit, burstLimit: config.apiBurstLimit },
      faultInjection: config.faultInjection === 'on',
    });
    const shared = {
      queues: this.queues,
      store: this.store,
      scheduler: this.scheduler,
      payloads: this.payloads,
      config,
    };
    this.detector = new StragglerDetector(this, 'StragglerDetector', shared);
    this.reaper = new Reaper(this, 'Reaper', shared);

    const pools = props.workers ?? {};
    if (!local && Object.keys(pools).length > 0) {
      this.vpc =
        props.existingVpc ??
        (config.vpcId ? Vpc.fromLookup(this, 'Vpc', { vpcId: config.vpcId }) : this.newVpc(config));
      const alarmTopic = new Topic(this, 'Alarms', {
        displayName: `${config.prefix} alarms`,
        enforceSSL: true,
        masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      });
      if (config.alarmEmail) alarmTopic.addSubscription(new EmailSubscription(config.alarmEmail));
      this.alarmTopic = alarmTopic;
      this.workers = new WorkerServices(this, 'Workers', {
        core: this,
        vpc: this.vpc,
        cluster: props.existingCluster,
        pools,
        config,
        notifications: alarmTopic,
      });
      this.observability = new Observability(this, 'Observability', {
        queues: this.queues,
        intake: this.intake,
        functions: {
          'start-scheduler': this.scheduler.function,
          'fire-schedule': this.schedules.function,
          'straggler-detector': this.detector.function,
          reaper: this.reaper.function,
          'check-reviewer': this.reaper.checkReviewer,
        },
        fires: { queue: this.schedules.fires, deadLetterQueue: this.schedules.deadLetters },
        workers: this.workers,
        config,
        alarmTopic,
      });
      this.publishWorkerServices(this.workers, config);
    }
    this.output(MANIFEST_OUTPUT_SUFFIX, Stack.of(this).toJsonString(this.manifest()), MANIFEST_DESCRIPTION);
    this.output('ApiUrl', this.intake.url, 'Base URL of the Tailguard API');
    const dashboard = this.observability?.facade.createdDashboard();
    if (dashboard) {
      const { region } = Stack.of(this);
      this.output(
        'DashboardUrl',
        `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboard.dashboardName}`,
      );
    }
  }

  /** What tools need to reach this deployment (tailguard dev, the local runtime), as one output. */
  manifest(): Record<keyof TailguardManifest, unknown> {
    return {
      apiUrl: this.intake.url,
      apiId: this.intake.apiId,
      apiStage: this.intake.stageName,
      apiKind: this.intake.kind,
      apiAuth: this.config.apiAuth,
      apiKeyId: this.intake.apiKey?.keyId,
      jobsTable: this.store.jobs.tableName,
      idempotencyTable: this.store.idempotency.tableName,
      statsTable: this.store.stats.tableName,
      workersTable: this.store.workers.tableName,
      coordinationTable: this.store.coordination.tableName,
      payloadBucket: this.payloads.bucket.bucketName,
      payloadInlineBytes: this.payloads.inlineBytes,
      payloadMaxBytes: this.payloads.maxBytes,
      typeLimits: this.config.typeLimits,
      tenants: this.config.tenants,
      fairnessWindowPerWeight: this.config.fairnessWindowPerWeight,
      queues: this.queues.topology(),
      schedulerQueueUrl: this.scheduler.requests.queueUrl,
      checksQueueUrl: this.queues.checks.queue.queueUrl,
      scheduleGroup: this.scheduler.groupName,
      stragglerDetector: this.detector.function.functionName,
      reaper: this.reaper.function.functionName,
    };
  }

  /** Outputs keyed by the construct's id (`<id>ApiUrl`), so two deployments in one stack never collide. */
  private output(name: string, value: string, description?: string): void {
    new CfnOutput(this, name, { key: `${this.node.id.replace(/[^A-Za-z0-9]/g, '')}${name}`, value, description });
  }

  private newVpc(config: TailguardConfig): Vpc {
    return new Vpc(this, 'Vpc', {
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
  }

  /**
   * Lets the straggler detector add workers: the services are published in SSM (read when a backup
   * finds no room), and the detector's role may grow exactly those services.
   */
  private publishWorkerServices(workers: WorkerServices, config: TailguardConfig): void {
    const services = Object.entries(workers.services) as [Capacity, { serviceName: string; serviceArn: string }][];
    const parameter = new StringParameter(this, 'WorkerServices', {
      parameterName: workerServicesParameter(config),
      description: 'Tailguard worker services, for the straggler detector',
      stringValue: Stack.of(this).toJsonString({
        cluster: workers.cluster.clusterName,
        services: Object.fromEntries(services.map(([capacity, service]) => [capacity, service.serviceName])),
        maxTasks: Object.fromEntries(services.map(([capacity]) => [capacity, workers.maxTasks(capacity)])),
      }),
    });
    new Policy(this, 'DetectorAddsWorkers', {
      roles: [this.detector.function.role!],
      statements: [
        new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameter.parameterArn] }),
        new PolicyStatement({
          actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
          resources: services.map(([, service]) => service.serviceArn),
        }),
      ],
    });
  }
}

/** Marks the manifest output among a stack's outputs (CloudFormation shows it as the output's description). */
export const MANIFEST_DESCRIPTION = 'tailguard:manifest';
