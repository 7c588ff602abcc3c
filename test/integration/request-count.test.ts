import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../local/aws-env.ts';
import { JobDispatcher, type QueueTopology } from '../../src/jobs/dispatch/index.ts';
import { JobRequestSchema, submitJob } from '../../src/jobs/intake/index.ts';
import { JobMetricsRecorder } from '../../src/jobs/metrics/index.ts';
import { ALL_QUEUE_KEYS } from '../../src/jobs/model/index.ts';
import { JobStore } from '../../src/jobs/store/index.ts';
import { builtinHandlers } from '../../workers/builtin-handlers.ts';
import { JobRunner } from '../../workers/job-runner.ts';
import { QueuePoller } from '../../workers/queue-poller.ts';
import { testStack } from '../helpers/stack.ts';

const { deployment } = testStack();

/** Counts every AWS API call a client makes, by operation name. */
function counted<T extends { middlewareStack: Pick<MiddlewareStack<object, object>, 'add'> }>(
  client: T,
  counts: Map<string, number>,
): T {
  const count: InitializeMiddleware<object, object> = (next, context) => async (args) => {
    const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return next(args);
  };
  client.middlewareStack.add(count, { step: 'initialize', name: 'countRequests' });
  return client;
}

/**
 * The AWS requests one job costs on the happy path, counted on the real code paths (the intake's
 * submitJob and the worker's runner) against the deployed tables. docs/cost.md prices these
 * numbers; this test keeps them true.
 */
describe('AWS requests per job (happy path)', () => {
  const config = localClientConfig(deployment.endpoint);
  let queueUrl: string;
  let topology: QueueTopology;

  beforeAll(async () => {
    // A queue of its own, so the suite's workers do not take the job before the counted runner.
    const sqs = new SQSClient(config);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `tailguard-count-${Date.now()}` }))).QueueUrl!;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const address = { url: queueUrl, arn: Attributes!.QueueArn!, dlqUrl: queueUrl, dlqArn: Attributes!.QueueArn! };
    topology = Object.fromEntries(ALL_QUEUE_KEYS.map((key) => [key, address]));
  });

  afterAll(async () => {
    await new SQSClient(config).send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  });

  async function oneJob(body: object) {
    const counts = { intake: new Map<string, number>(), worker: new Map<string, number>() };
    const tables = { jobs: deployment.jobsTable, idempotency: deployment.idempotencyTable };
    const documentClient = (counts: Map<string, number>) =>
      DynamoDBDocumentClient.from(counted(new DynamoDBClient(config), counts), {
        marshallOptions: { removeUndefinedValues: true },
      });

    // Intake: what the submit-job Lambda does for POST /jobs.
    const intakeStore = new JobStore(documentClient(counts.intake), tables);
    const intakeDispatcher = new JobDispatcher(counted(new SQSClient(config), counts.intake), topology, queueUrl);
    const { job } = await submitJob({ store: intakeStore, dispatcher: intakeDispatcher }, JobRequestSchema.parse(body));

    // Worker: one receive, then the runner's claim, handler and settle.
    const workerSqs = counted(new SQSClient(config), counts.worker);
    const workerStore = new JobStore(documentClient(counts.worker), tables);
    const poller = new QueuePoller(workerSqs, [{ key: 'cpu-default', url: queueUrl }], {
      waitSeconds: 1,
      visibilitySeconds: 30,
      starvationGuardEvery: 4,
    });
    const runner = new JobRunner(
      {
        store: workerStore,
        poller,
        dispatcher: new JobDispatcher(workerSqs, topology, queueUrl),
        registry: builtinHandlers(),
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics: new JobMetricsRecorder(new Metrics({ namespace: 'Tailguard', serviceName: 'count' })),
      },
      { workerId: 'counter', leaseSeconds: 30, heartbeatSeconds: 10 },
    );
    const [message] = await poller.receive(1);
    await runner.process(message!, new AbortController().signal);
    const finished = await new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient(config)), tables).get(job.id);
    return {
      counts: { intake: Object.fromEntries(counts.intake), worker: Object.fromEntries(counts.worker) },
      finished,
    };
  }

  it('costs 2 requests at intake and 5 in the worker for a job without an idempotency key', async () => {
    const { counts, finished } = await oneJob({ type: 'noop' });
    expect(finished?.status).toBe('SUCCEEDED');
    expect(counts.intake).toEqual({ PutItem: 1, SendMessage: 1 });
    expect(counts.worker).toEqual({ ReceiveMessage: 1, GetItem: 1, UpdateItem: 2, DeleteMessage: 1 });
    // The item stays under 1 KB, so each write is 1 WRU (+1 for the byStatus index entry).
    expect(Buffer.byteLength(JSON.stringify(finished))).toBeLessThan(1024);
  });

  it('writes the job and its idempotency key in one transaction', async () => {
    const { counts, finished } = await oneJob({ type: 'noop', idempotencyKey: `count-${Date.now()}` });
    expect(finished?.status).toBe('SUCCEEDED');
    expect(counts.intake).toEqual({ TransactWriteItems: 1, SendMessage: 1 });
    expect(counts.worker).toEqual({ ReceiveMessage: 1, GetItem: 1, UpdateItem: 2, DeleteMessage: 1 });
  });
});
