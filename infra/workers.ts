import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AdjustmentType,
  CfnScalingPolicy,
  ScalableTarget,
  ServiceNamespace,
} from 'aws-cdk-lib/aws-applicationautoscaling';
import { AutoScalingGroup } from 'aws-cdk-lib/aws-autoscaling';
import { MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import {
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  InstanceType,
  type IVpc,
  LaunchTemplate,
  SecurityGroup,
  SubnetType,
  UserData,
} from 'aws-cdk-lib/aws-ec2';
import {
  AmiHardwareType,
  AsgCapacityProvider,
  type BaseService,
  Cluster,
  type ContainerDefinition,
  type ContainerDefinitionOptions,
  ContainerInsights,
  CpuArchitecture,
  Ec2Service,
  Ec2TaskDefinition,
  EcsOptimizedImage,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  NetworkMode,
  OperatingSystemFamily,
  type TaskDefinition,
} from 'aws-cdk-lib/aws-ecs';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type Capacity, PRIORITIES, queueKey } from '../src/jobs/model/index.ts';
import type { TailguardConfig } from './config.ts';
import { nag } from './nag.ts';
import { coreSettings, processEnvironment, type SharedResources } from './process-environment.ts';
import type { CpuWorkerPoolProps, GpuWorkerPoolProps, WorkerPoolProps } from './tailguard-props.ts';

/** Seconds ECS waits after SIGTERM before SIGKILL (Fargate's maximum). */
const STOP_TIMEOUT_SECONDS = 120;
/** What a stopping worker gives running attempts before releasing them: inside the stop timeout. */
const SHUTDOWN_GRACE_SECONDS = 100;

export interface WorkerServicesProps {
  /** The shared parts workers use: tables, queues, the start scheduler. */
  core: SharedResources;
  vpc: IVpc;
  /** @default a new cluster with Container Insights */
  cluster?: Cluster;
  /** The classes to run, with the team's images; sizes come from `config`. */
  pools: { cpu?: CpuWorkerPoolProps; gpu?: GpuWorkerPoolProps };
  config: TailguardConfig;
  /** Receives the GPU instance group's scaling events. */
  notifications: ITopic;
}

/**
 * The worker fleet on ECS, from the team's images: a Fargate service for the cpu class and an EC2
 * service on GPU instances for the gpu class (Fargate has no GPUs), each only if its pool is given.
 * Each scales on its queues' work per task; the GPU service down to zero when idle.
 */
export class WorkerServices extends Construct {
  readonly cluster: Cluster;
  readonly cpuService?: FargateService;
  readonly gpuService?: Ec2Service;
  readonly gpuInstances?: AutoScalingGroup;
  private readonly config: TailguardConfig;

  constructor(scope: Construct, id: string, props: WorkerServicesProps) {
    super(scope, id);
    const { core, vpc, config, pools } = props;
    this.config = config;
    this.cluster =
      props.cluster ?? new Cluster(this, 'Cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });
    if (pools.cpu) this.cpuService = this.cpuPool(pools.cpu, core);
    if (pools.gpu) [this.gpuService, this.gpuInstances] = this.gpuPool(pools.gpu, core, vpc, props.notifications);
  }

  /** The services that run, by class. */
  get services(): Partial<Record<Capacity, BaseService>> {
    return { ...(this.cpuService && { cpu: this.cpuService }), ...(this.gpuService && { gpu: this.gpuService }) };
  }

  maxTasks(capacity: Capacity): number {
    return capacity === 'cpu' ? this.config.cpuWorkerMaxTasks : this.config.gpuWorkerMaxTasks;
  }

  private cpuPool(pool: CpuWorkerPoolProps, core: SharedResources): FargateService {
    const { config } = this;
    const cpuTask = new FargateTaskDefinition(this, 'CpuTask', {
      cpu: config.cpuWorkerCpu,
      memoryLimitMiB: config.cpuWorkerMemoryMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.X86_64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    withScratch(
      cpuTask,
      cpuTask.addContainer('worker', this.container('cpu', pool, config.cpuWorkerConcurrency, core)),
    );
    nag.workerTask(cpuTask, cpuTask.obtainExecutionRole());
    const service = new FargateService(this, 'CpuService', {
      cluster: this.cluster,
      taskDefinition: cpuTask,
      desiredCount: config.cpuWorkerMinTasks,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true },
    });
    this.grantWork('cpu', cpuTask, core);
    this.scaleOnWork('cpu', service, core);
    return service;
  }

  /** gpu class: EC2 GPU instances through a capacity provider. */
  private gpuPool(
    pool: GpuWorkerPoolProps,
    core: SharedResources,
    vpc: IVpc,
    notifications: ITopic,
  ): [Ec2Service, AutoScalingGroup] {
    const { config } = this;
    const gpuInstanceRole = new Role(this, 'GpuInstanceRole', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    nag.gpuInstanceRole(gpuInstanceRole);
    const launchTemplate = new LaunchTemplate(this, 'GpuLaunchTemplate', {
      instanceType: new InstanceType(config.gpuInstanceType),
      machineImage: EcsOptimizedImage.amazonLinux2023(AmiHardwareType.GPU),
      userData: UserData.forLinux(),
      requireImdsv2: true,
      securityGroup: new SecurityGroup(this, 'GpuInstancesSg', {
        vpc,
        allowAllOutbound: true,
        description: 'Tailguard GPU worker instances',
      }),
      role: gpuInstanceRole,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: BlockDeviceVolume.ebs(100, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
    const instances = new AutoScalingGroup(this, 'GpuInstances', {
      vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: 0,
      maxCapacity: config.gpuWorkerMaxTasks,
      newInstancesProtectedFromScaleIn: true,
      notifications: [{ topic: notifications }],
    });
    const gpuCapacity = new AsgCapacityProvider(this, 'GpuCapacity', {
      autoScalingGroup: instances,
      enableManagedScaling: true,
      enableManagedTerminationProtection: true,
      targetCapacityPercent: 100,
    });
    this.cluster.addAsgCapacityProvider(gpuCapacity);
    const gpuTask = new Ec2TaskDefinition(this, 'GpuTask', { networkMode: NetworkMode.AWS_VPC });
    const gpuContainer = gpuTask.addContainer('worker', {
      ...this.container('gpu', pool, config.gpuWorkerConcurrency, core),
      memoryReservationMiB: config.gpuWorkerMemoryMiB,
      gpuCount: config.gpuWorkerGpus,
    });
    withScratch(gpuTask, gpuContainer);
    nag.workerTask(gpuTask, gpuTask.obtainExecutionRole());
    const service = new Ec2Service(this, 'GpuService', {
      cluster: this.cluster,
      taskDefinition: gpuTask,
      desiredCount: config.gpuWorkerMinTasks,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      capacityProviderStrategies: [{ capacityProvider: gpuCapacity.capacityProviderName, weight: 1 }],
      minHealthyPercent: 0,
      circuitBreaker: { rollback: true },
    });
    this.grantWork('gpu', gpuTask, core);
    this.scaleOnWork('gpu', service, core);
    return [service, instances];
  }

  /** Container Insights' running-task count of a service, per minute. */
  runningTasks(service: BaseService): Metric {
    return new Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: this.cluster.clusterName, ServiceName: service.serviceName },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
  }

  private container(
    capacity: Capacity,
    pool: WorkerPoolProps,
    concurrency: number,
    core: SharedResources,
  ): ContainerDefinitionOptions {
    const logGroup = new LogGroup(this, `${capacity}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return {
      image: pool.image,
      ...(pool.command && { command: pool.command }),
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: capacity }),
      stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
      readonlyRootFilesystem: true,
      environment: {
        ...processEnvironment(this, 'worker', {
          ...coreSettings(core),
          typeLimits: { limits: this.config.typeLimits },
          tenants: { config: this.config.tenants },
          fairness: { windowPerWeight: this.config.fairnessWindowPerWeight },
          payloads: core.payloads.settings(),
          worker: { capacity, concurrency, shutdownGraceSeconds: SHUTDOWN_GRACE_SECONDS },
        }),
        POWERTOOLS_SERVICE_NAME: 'tailguard-worker',
        POWERTOOLS_METRICS_NAMESPACE: 'Tailguard',
      },
    };
  }

  /** A worker reads and writes jobs, consumes its own class's queues, and enqueues retries. */
  private grantWork(capacity: Capacity, task: TaskDefinition, core: SharedResources): void {
    // readMany: a workflow step's parents, read at claim.
    core.store.grantJobs(task.taskRole, 'read', 'readMany', 'write');
    core.payloads.grant(task.taskRole, 'readPayloads', 'storeResults');
    core.store.grantStats(task.taskRole, 'add');
    core.store.grantWorkers(task.taskRole, 'report', 'list');
    // Any tenant may be given quotas at run time: the slots, windows and counts are always writable.
    core.store.grantCoordination(task.taskRole, 'limits', 'tenantSettings');
    // A claim gives its job's place back and releases the tenant's next held jobs.
    if (this.config.fairnessWindowPerWeight > 0) {
      core.store.grantCoordination(task.taskRole, 'windows');
      core.store.grantJobs(task.taskRole, 'listByStatus');
    }
    for (const priority of PRIORITIES) {
      const { queue } = core.queues.byKey[queueKey(capacity, priority)];
      queue.grantConsumeMessages(task.taskRole);
    }
    core.queues.grantSend(task.taskRole);
    core.scheduler.requests.grantSendMessages(task.taskRole);
  }

  /**
   * Target tracking on work per task, AWS's "backlog per task" pattern, counting in-flight
   * messages too so long-running jobs keep their tasks: (visible + in flight over the class's
   * queues) / running tasks, aimed at the worker's concurrency × backlogPerTaskFactor. Target
   * tracking cannot scale up from zero tasks, so a step policy starts the first task when work
   * waits and none runs (the GPU service's idle state).
   */
  private scaleOnWork(capacity: Capacity, service: BaseService, core: SharedResources): void {
    const { config } = this;
    const min = capacity === 'cpu' ? config.cpuWorkerMinTasks : config.gpuWorkerMinTasks;
    const max = capacity === 'cpu' ? config.cpuWorkerMaxTasks : config.gpuWorkerMaxTasks;
    const concurrency = capacity === 'cpu' ? config.cpuWorkerConcurrency : config.gpuWorkerConcurrency;
    const target = new ScalableTarget(this, `${capacity}ScalableTarget`, {
      serviceNamespace: ServiceNamespace.ECS,
      resourceId: `service/${this.cluster.clusterName}/${service.serviceName}`,
      scalableDimension: 'ecs:service:DesiredCount',
      minCapacity: min,
      maxCapacity: max,
    });

    const queueNames = PRIORITIES.map((priority) => core.queues.byKey[queueKey(capacity, priority)].queue.queueName);
    const sqsMetric = (id: string, queueName: string, metricName: string) => ({
      id,
      metricStat: {
        metric: { namespace: 'AWS/SQS', metricName, dimensions: [{ name: 'QueueName', value: queueName }] },
        stat: 'Sum',
      },
      returnData: false,
    });
    const queueMetrics = queueNames.flatMap((name, i) => [
      sqsMetric(`visible${i}`, name, 'ApproximateNumberOfMessagesVisible'),
      sqsMetric(`inflight${i}`, name, 'ApproximateNumberOfMessagesNotVisible'),
    ]);
    const work = queueNames.map((_, i) => `visible${i} + inflight${i}`).join(' + ');
    new CfnScalingPolicy(this, `${capacity}WorkPerTask`, {
      policyName: `${Stack.of(this).stackName}-${capacity}-work-per-task`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: concurrency * config.backlogPerTaskFactor,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
        customizedMetricSpecification: {
          metrics: [
            ...queueMetrics,
            {
              id: 'running',
              metricStat: {
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [
                    { name: 'ClusterName', value: this.cluster.clusterName },
                    { name: 'ServiceName', value: service.serviceName },
                  ],
                },
                stat: 'Average',
              },
              returnData: false,
            },
            {
              id: 'workPerTask',
              expression: `(${work}) / MAX([running, 1])`,
              label: 'work per task',
              returnData: true,
            },
          ],
        },
      },
    });

    const waitingWithNoTask = new MathExpression({
      expression: `IF(FILL(running, 0) < 1, ${queueNames.map((_, i) => `visible${i}`).join(' + ')}, 0)`,
      usingMetrics: { running: this.runningTasks(service), ...core.queues.visibleMessages(capacity, 'visible') },
      period: Duration.minutes(1),
      label: `${capacity} jobs waiting with no task running`,
    });
    target.scaleOnMetric(`${capacity}WakeFromZero`, {
      metric: waitingWithNoTask,
      adjustmentType: AdjustmentType.CHANGE_IN_CAPACITY,
      scalingSteps: [
        { upper: 0, change: 0 },
        { lower: 1, change: 1 },
      ],
      evaluationPeriods: 1,
      cooldown: Duration.minutes(1),
    });
  }
}

/**
 * A task-local volume at /tmp: the root filesystem is read-only, and a worker downloads payloads
 * too large for a job's item there before its handler reads them (workers/job-payloads.ts).
 */
function withScratch(task: TaskDefinition, container: ContainerDefinition): void {
  task.addVolume({ name: 'scratch' });
  container.addMountPoints({ sourceVolume: 'scratch', containerPath: '/tmp', readOnly: false });
}
