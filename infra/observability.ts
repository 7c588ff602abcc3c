import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { MonitoringFacade, notifySns } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { JobMetric, METRICS_NAMESPACE, TENANT_DIMENSION } from '../src/jobs/metrics/index.ts';
import { CAPACITIES, type Capacity, PRIORITIES, queueKey } from '../src/jobs/model/index.ts';
import { oldestMessageAlarmSeconds, type TailguardConfig } from './config.ts';
import type { IntakeApi } from './intake-api.ts';
import type { JobQueues } from './queues.ts';
import type { WorkerServices } from './workers.ts';

export interface ObservabilityProps {
  queues: JobQueues;
  intake: IntakeApi;
  /** The functions besides the intake's, by the name the dashboard and their alarms give them. */
  functions: Readonly<Record<string, IFunction>>;
  /** Recurring schedules' fire queue and the dead-letter queue of fires that were never made. */
  fires: { queue: IQueue; deadLetterQueue: IQueue };
  workers: WorkerServices;
  config: TailguardConfig;
  alarmTopic: Topic;
}

/**
 * One CloudWatch dashboard per deployment and the alarms an on-call engineer needs, built with
 * cdk-monitoring-constructs. Every alarm notifies the alarm topic.
 */
export class Observability extends Construct {
  readonly facade: MonitoringFacade;
  private readonly queues: JobQueues;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { queues, intake, workers, config } = props;
    this.queues = queues;
    this.facade = new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: {
        actionsEnabled: true,
        alarmNamePrefix: config.prefix,
        action: notifySns(props.alarmTopic),
      },
      metricFactoryDefaults: {},
    });
    const f = this.facade;

    f.addLargeHeader(`${config.prefix}: jobs`);
    for (const capacity of CAPACITIES) this.jobMetrics(capacity);
    this.tenantMetrics();

    f.addLargeHeader('Queues (depth, age of oldest message, DLQ)');
    const maxAge = oldestMessageAlarmSeconds(config);
    for (const capacity of CAPACITIES) {
      for (const priority of PRIORITIES) {
        const { queue, deadLetterQueue } = queues.byKey[queueKey(capacity, priority)];
        f.monitorSqsQueueWithDlq({
          queue,
          deadLetterQueue,
          humanReadableName: `${capacity}-${priority}`,
          alarmFriendlyName: `${capacity}-${priority}`,
          addQueueMaxMessageAgeAlarm: { Warning: { maxAgeInSeconds: maxAge[priority] } },
          addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: 0 } },
        });
      }
    }

    // A fire in its DLQ is a recurring job that was never made (docs/schedules.md).
    f.monitorSqsQueueWithDlq({
      ...props.fires,
      humanReadableName: 'schedule fires',
      alarmFriendlyName: 'schedule-fires',
      addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: 0 } },
    });

    this.reaperAlarms(config);

    f.addLargeHeader('Workers');
    if (workers.cpuService) {
      f.monitorSimpleFargateService({
        fargateService: workers.cpuService,
        humanReadableName: 'cpu workers (Fargate)',
        alarmFriendlyName: 'cpu-workers',
      });
    }
    if (workers.gpuInstances) {
      f.monitorAutoScalingGroup({
        autoScalingGroup: workers.gpuInstances,
        humanReadableName: 'gpu instances',
        alarmFriendlyName: 'gpu-instances',
      });
    }
    // Classes without an ECS pool run their workers elsewhere: nothing here can tell if they run.
    for (const capacity of CAPACITIES) {
      const service = workers.services[capacity];
      if (service) this.noWorkersAlarm(capacity, workers.runningTasks(service));
    }

    f.addLargeHeader('Intake API and functions');
    const { restApi, httpApi, stageName } = intake;
    const api = { apiStage: stageName, humanReadableName: 'Tailguard API', alarmFriendlyName: 'api' };
    if (restApi) f.monitorApiGateway({ ...api, api: restApi, add5XXFaultRateAlarm: { Critical: { maxErrorRate: 1 } } });
    if (httpApi)
      f.monitorApiGatewayV2HttpApi({ ...api, api: httpApi, add5xxRateAlarm: { Critical: { maxErrorRate: 1 } } });
    const functions = [...intake.functions.map((fn) => [fn.node.id, fn] as const), ...Object.entries(props.functions)];
    for (const [name, fn] of functions) {
      f.monitorLambdaFunction({
        lambdaFunction: fn,
        humanReadableName: name,
        alarmFriendlyName: name,
        addFaultRateAlarm: { Warning: { maxErrorRate: 1 } },
      });
    }
  }

  /** Throughput, outcome rates and latency percentiles of one class, from the workers' EMF metrics. */
  private jobMetrics(capacity: Capacity): void {
    const metric = (metricName: string, statistic: string, label: string) =>
      new MathExpression({
        expression: `SUM(SEARCH('{${METRICS_NAMESPACE},Capacity,Priority} MetricName="${metricName}" Capacity="${capacity}"', '${statistic}', 60))`,
        label,
        period: Duration.minutes(1),
      });
    const perPriority = (metricName: string, statistic: string) =>
      PRIORITIES.map(
        (priority) =>
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName,
            dimensionsMap: { Capacity: capacity, Priority: priority },
            statistic,
            label: priority,
            period: Duration.minutes(1),
          }),
      );
    const succeeded = metric(JobMetric.succeeded, 'Sum', 'succeeded');
    const retried = metric(JobMetric.retried, 'Sum', 'retried');
    const dead = metric(JobMetric.dead, 'Sum', 'dead');
    this.facade.monitorCustom({
      humanReadableName: `${capacity} jobs`,
      alarmFriendlyName: `${capacity}-jobs`,
      metricGroups: [
        {
          title: 'Throughput (jobs/min)',
          metrics: [succeeded, retried, dead, metric(JobMetric.submitted, 'Sum', 'submitted')],
        },
        {
          title: 'Outcome rates (%)',
          metrics: [
            new MathExpression({
              expression: '100 * s / (s + r + d)',
              usingMetrics: { s: succeeded, r: retried, d: dead },
              label: 'success %',
              period: Duration.minutes(1),
            }),
            new MathExpression({
              expression: '100 * r / (s + r + d)',
              usingMetrics: { s: succeeded, r: retried, d: dead },
              label: 'retry %',
              period: Duration.minutes(1),
            }),
            {
              metric: new MathExpression({
                expression: '100 * d / (s + r + d)',
                usingMetrics: { s: succeeded, r: retried, d: dead },
                label: 'dead %',
                period: Duration.minutes(1),
              }),
              alarmFriendlyName: `${capacity}-dead-rate`,
              addAlarm: { Warning: { threshold: 5, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD } },
            },
          ],
        },
        {
          title: 'Enqueue → start p50 / p99 (ms)',
          metrics: [...perPriority(JobMetric.enqueueToStart, 'p50'), ...perPriority(JobMetric.enqueueToStart, 'p99')],
        },
        {
          title: 'Run time p50 / p99 (ms)',
          metrics: [...perPriority(JobMetric.runTime, 'p50'), ...perPriority(JobMetric.runTime, 'p99')],
        },
        { title: 'Lost attempts (workers died)', metrics: [metric(JobMetric.lost, 'Sum', 'lost')] },
        {
          title: 'Speculation: backups launched and won, wasted worker-seconds',
          metrics: [
            metric(JobMetric.speculativeLaunches, 'Sum', 'launched'),
            metric(JobMetric.speculativeWins, 'Sum', 'won'),
            metric(JobMetric.wastedWorkSeconds, 'Sum', 'wasted s'),
          ],
        },
        { title: 'Straggler detected after (ms, p50)', metrics: perPriority(JobMetric.stragglerDetectedAfter, 'p50') },
      ],
    });
  }

  /**
   * The busiest tenants' queue wait and starts. One SEARCH per graph finds whichever tenants the
   * workers named (the top 10 of each interval, the rest as `(other)`: docs/tenants.md), so the
   * dashboard needs no resource per tenant and shows a tenant as soon as it is busy.
   */
  private tenantMetrics(): void {
    const perTenant = (metricName: string, statistic: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${TENANT_DIMENSION},service} MetricName="${metricName}"', '${statistic}', 60)`,
        label: '',
        period: Duration.minutes(1),
      });
    this.facade.monitorCustom({
      humanReadableName: 'Tenants (the busiest by name, the rest as (other))',
      alarmFriendlyName: 'tenants',
      metricGroups: [
        { title: 'Enqueue → start p99 per tenant (ms)', metrics: [perTenant(JobMetric.tenantEnqueueToStart, 'p99')] },
        { title: 'Starts per tenant (jobs/min)', metrics: [perTenant(JobMetric.tenantStarts, 'Sum')] },
      ],
    });
  }

  /**
   * The reaper's passes, re-dispatches and oldest stuck job. A re-dispatch means a message went
   * missing: fine once, worth a look when it keeps happening; a stuck job older than a few grace
   * periods, or a reaper that stopped running, means jobs can wait forever.
   */
  private reaperAlarms(config: TailguardConfig): void {
    const reaperMetric = (metricName: string, statistic: string, label: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: 'tailguard-reaper' },
        statistic,
        label,
        period: Duration.minutes(5),
      });
    this.facade.monitorCustom({
      humanReadableName: 'Reaper (jobs whose messages went missing)',
      alarmFriendlyName: 'reaper',
      metricGroups: [
        {
          title: 'Passes and re-dispatched jobs (per 5 min)',
          metrics: [
            {
              metric: reaperMetric(JobMetric.reaperRuns, 'Sum', 'passes'),
              alarmFriendlyName: 'reaper-not-running',
              addAlarm: {
                Critical: {
                  threshold: 1,
                  comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
                  treatMissingDataOverride: TreatMissingData.BREACHING,
                },
              },
            },
            reaperMetric(JobMetric.jobsRedispatched, 'Sum', 're-dispatched'),
            reaperMetric(JobMetric.jobsEndedByReaper, 'Sum', 'ended DEAD'),
          ],
        },
        {
          title: 'Jobs whose message was gone, sent a fresh one (per 5 min)',
          metrics: [
            {
              // Someone purged a queue, a message outlived SQS's retention, or a tool deleted one:
              // Tailguard repaired it, but a person should know why it happened.
              metric: reaperMetric(JobMetric.jobsWithoutMessage, 'Sum', 'without a message'),
              alarmFriendlyName: 'jobs-without-message',
              addAlarm: {
                Warning: { threshold: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
              },
            },
            reaperMetric(JobMetric.messagesRefreshed, 'Sum', 'refreshed before retention'),
          ],
        },
        {
          title: 'Longest wait for a message past the grace (s)',
          metrics: [reaperMetric(JobMetric.oldestWaitForMessage, 'Maximum', 'longest wait')],
        },
        {
          title: 'Oldest stuck job (s past due)',
          metrics: [
            {
              metric: reaperMetric(JobMetric.oldestStuckJobAge, 'Maximum', 'oldest stuck'),
              alarmFriendlyName: 'reaper-stuck-jobs',
              addAlarm: {
                Warning: {
                  threshold: 3 * config.reaperGraceSeconds,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                },
              },
            },
          ],
        },
      ],
    });
  }

  /** Fires when a class has jobs waiting but no worker task running (a broken image, no capacity). */
  private noWorkersAlarm(capacity: Capacity, runningTasks: Metric): void {
    this.facade.monitorCustom({
      humanReadableName: `${capacity} workers vs waiting jobs`,
      alarmFriendlyName: `${capacity}-no-workers`,
      metricGroups: [
        {
          title: `${capacity}: waiting jobs with no running worker`,
          metrics: [
            {
              metric: new MathExpression({
                expression: `IF(FILL(running, 0) < 1 AND (v0 + v1 + v2 + v3) > 0, 1, 0)`,
                usingMetrics: {
                  ...this.queues.visibleMessages(capacity, 'v'),
                  running: runningTasks,
                },
                label: 'work waiting, no worker',
                period: Duration.minutes(1),
              }),
              alarmFriendlyName: `${capacity}-no-running-workers`,
              // The GPU service starts from zero on demand: give it time to launch an instance.
              addAlarm: {
                Critical: {
                  threshold: 0,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  datapointsToAlarm: capacity === 'gpu' ? 10 : 3,
                  evaluationPeriods: capacity === 'gpu' ? 10 : 3,
                },
              },
            },
          ],
        },
      ],
    });
  }
}
