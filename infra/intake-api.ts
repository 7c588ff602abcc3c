import { Stack } from 'aws-cdk-lib';
import { LambdaIntegration, MethodLoggingLevel, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { JobQueues } from './queues.ts';
import type { JobScheduler } from './scheduler.ts';
import type { JobStoreTables } from './store.ts';
import { TailguardFunction } from './tailguard-function.ts';

export const API_STAGE = 'v1';

/** `POST /jobs` and `GET /jobs/{id}`: API Gateway REST API in front of one Lambda per route. */
export class IntakeApi extends Construct {
  readonly api: RestApi;
  readonly submitJob: TailguardFunction;
  readonly getJob: TailguardFunction;

  constructor(scope: Construct, id: string, props: { queues: JobQueues; store: JobStoreTables; scheduler: JobScheduler }) {
    super(scope, id);
    const { queues, store, scheduler } = props;
    const tables = { JOBS_TABLE: store.jobs.tableName, IDEMPOTENCY_TABLE: store.idempotency.tableName };

    this.submitJob = new TailguardFunction(this, 'SubmitJob', {
      handlerDir: 'submit-job',
      description: 'POST /jobs: validates, records and enqueues a job',
      environment: {
        ...tables,
        TAILGUARD_QUEUES: Stack.of(this).toJsonString(queues.topology()),
        SCHEDULER_ROLE_ARN: scheduler.role.roleArn,
        SCHEDULE_GROUP: scheduler.groupName,
      },
    });
    store.jobs.grantReadWriteData(this.submitJob);
    store.idempotency.grantReadWriteData(this.submitJob);
    for (const { queue } of queues.all) queue.grantSendMessages(this.submitJob);
    scheduler.grantCreateSchedules(this.submitJob);

    this.getJob = new TailguardFunction(this, 'GetJob', {
      handlerDir: 'get-job',
      description: 'GET /jobs/{id}: reads a job',
      environment: tables,
    });
    store.jobs.grantReadData(this.getJob);

    this.api = new RestApi(this, 'Api', {
      description: 'Tailguard job intake',
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: 1000,
        throttlingBurstLimit: 2000,
        loggingLevel: MethodLoggingLevel.OFF,
      },
    });
    const jobs = this.api.root.addResource('jobs');
    jobs.addMethod('POST', new LambdaIntegration(this.submitJob));
    jobs.addResource('{id}').addMethod('GET', new LambdaIntegration(this.getJob));
  }
}
