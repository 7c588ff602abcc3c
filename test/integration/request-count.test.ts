import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../local/aws-env.ts';
import { JobDispatcher, type QueueTopology } from '../../src/jobs/dispatch/index.ts';
import { JobRequestSchema, submitBatch, submitJob } from '../../src/jobs/intake/index.ts';
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

  it('writes a batch of 100 jobs in 3 writes and 10 sends: batch writes, one transaction for the keyed half', async () => {
    const counts = new Map<string, number>();
    const tables = { jobs: deployment.jobsTable, idempotency: deployment.idempotencyTable };
    const client = DynamoDBDocumentClient.from(counted(new DynamoDBClient(config), counts), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const store = new JobStore(client, tables);
    // A queue of its own too: its 100 messages must not reach the other tests' runner.
    const sqs = new SQSClient(config);
    const batchQueue = (await sqs.send(new CreateQueueCommand({ QueueName: `tailguard-count-batch-${Date.now()}` })))
      .QueueUrl!;
    const batchTopology = Object.fromEntries(
      ALL_QUEUE_KEYS.map((key) => [key, { ...topology[key]!, url: batchQueue, dlqUrl: batchQueue }]),
    );
    const dispatcher = new JobDispatcher(counted(new SQSClient(config), counts), batchTopology, batchQueue);
    const run = Date.now();
    const requests = Array.from({ length: 100 }, (_, n) =>
      JobRequestSchema.parse({ type: 'noop', ...(n % 2 ? { idempotencyKey: `count-batch-${run}-${n}` } : {}) }),
    );

    const outcomes = await submitBatch({ store, dispatcher }, requests);

    expect(outcomes.every((outcome) => 'job' in outcome && !outcome.replayed)).toBe(true);
    expect(Object.fromEntries(counts)).toEqual({ BatchWriteItem: 2, TransactWriteItems: 1, SendMessageBatch: 10 });
    // Against 2 requests a job alone: 200 for these 100. Queue and jobs go, so no reaper sends
    // the jobs to the suite's workers.
    await sqs.send(new DeleteQueueCommand({ QueueUrl: batchQueue }));
    await Promise.all(outcomes.map((outcome) => 'job' in outcome && store.discard(outcome.job)));
  });

  it('writes the job and its idempotency key in one transaction', async () => {
    const { counts, finished } = await oneJob({ type: 'noop', idempotencyKey: `count-${Date.now()}` });
    expect(finished?.status).toBe('SUCCEEDED');
    expect(counts.intake).toEqual({ TransactWriteItems: 1, SendMessage: 1 });
    expect(counts.worker).toEqual({ ReceiveMessage: 1, GetItem: 1, UpdateItem: 2, DeleteMessage: 1 });
  });
});
