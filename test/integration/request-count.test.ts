import { mkdirSync, writeFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AWS_PRICES, type JobUsage, perMillionUsd } from '../../bench/lib/aws-prices.ts';
import { localClientConfig } from '../../local/aws-env.ts';
import { JobDispatcher, type QueueTopology } from '../../src/jobs/dispatch/index.ts';
import { type JobRequest, JobRequestSchema, submitBatch, submitJob } from '../../src/jobs/intake/index.ts';
import { JobMetricsRecorder } from '../../src/jobs/metrics/index.ts';
import { ALL_QUEUE_KEYS } from '../../src/jobs/model/index.ts';
import { JobStore } from '../../src/jobs/store/index.ts';
import { builtinHandlers } from '../../workers/builtin-handlers.ts';
import { JobRunner } from '../../workers/job-runner.ts';
import { QueuePoller } from '../../workers/queue-poller.ts';
import { AwsUsage } from '../helpers/aws-usage.ts';
import { testStack } from '../helpers/stack.ts';

const { deployment } = testStack();
const config = localClientConfig(deployment.endpoint);
const tables = { jobs: deployment.jobsTable, idempotency: deployment.idempotencyTable };

/**
 * Estimates, not counted (docs/cost.md): the intake Lambda's GB-seconds, and the log bytes of one
 * invocation (Lambda's START/END/REPORT lines and the request's EMF document). A worker's log
 * bytes per job are counted: everything its logger and metrics print while it runs the jobs.
 */
const ESTIMATES = { submitGbSeconds: 0.02, batchOf100GbSeconds: 0.1, lambdaLogBytesPerInvocation: 700 };

const documentClient = (usage: AwsUsage) =>
  DynamoDBDocumentClient.from(usage.count(new DynamoDBClient(config)), {
    marshallOptions: { removeUndefinedValues: true },
  });

/** Removes a counted job that was never run (its queue is deleted with it), so nothing else meets it. */
const deleteJob = (id: string) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(config)).send(
    new DeleteCommand({ TableName: tables.jobs, Key: { id } }),
  );

/** A queue of its own, so the suite's workers do not take the counted jobs. */
async function privateQueue(name: string): Promise<{ url: string; topology: QueueTopology }> {
  const sqs = new SQSClient(config);
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: `tailguard-${name}-${Date.now()}` }))).QueueUrl!;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const address = { url, arn: Attributes!.QueueArn!, dlqUrl: url, dlqArn: Attributes!.QueueArn! };
  return { url, topology: Object.fromEntries(ALL_QUEUE_KEYS.map((key) => [key, address])) };
}

/**
 * The worker's side of the jobs waiting on `queue`: one receive of up to 10, the runner's claim,
 * handler and settle, with the worker's own logger and per-queue metrics; returns how many jobs
 * it ran and the bytes it printed for them (what CloudWatch Logs would ingest).
 */
async function work(queue: { url: string; topology: QueueTopology }, usage: AwsUsage, max: number) {
  const sqs = usage.count(new SQSClient(config));
  const poller = new QueuePoller(sqs, [{ key: 'cpu-default', url: queue.url }], {
    waitSeconds: 1,
    visibilitySeconds: 30,
    starvationGuardEvery: 4,
    // Deletes go in one batch however long the jobs take (a busy worker's case), so the count is exact.
    deletes: { maxWaitMs: 60_000 },
  });
  const metricsOptions = { namespace: 'Tailguard', serviceName: 'tailguard-worker' };
  const metrics = new JobMetricsRecorder(
    new Metrics(metricsOptions),
    (defaultDimensions) => new Metrics({ ...metricsOptions, defaultDimensions }),
  );
  const runner = new JobRunner(
    {
      store: new JobStore(documentClient(usage), tables),
      poller,
      dispatcher: new JobDispatcher(sqs, queue.topology, queue.url),
      registry: builtinHandlers(),
      logger: new Logger({ serviceName: 'tailguard-worker', logLevel: 'INFO' }),
      metrics,
    },
    { workerId: 'counter', leaseSeconds: 30, heartbeatSeconds: 10 },
  );
  const messages = await poller.receive(max);
  let logBytes = 0;
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logBytes += Buffer.byteLength(String(chunk));
    return true;
  });
  try {
    await Promise.all(messages.map((message) => runner.process(message, new AbortController().signal)));
    metrics.flush();
  } finally {
    write.mockRestore();
  }
  await poller.flushDeletes();
  return { jobs: messages.length, logBytes };
}

/** Per job, SDK requests (all, and to SQS) and DynamoDB capacity units, of each usage over its job count. */
function perJob(...parts: [AwsUsage, number][]) {
  const sum = (pick: (u: AwsUsage) => number) => parts.reduce((total, [u, jobs]) => total + pick(u) / jobs, 0);
  return {
    requests: sum((u) => u.totalRequests),
    sqsRequests: sum((u) => u.byClient.get('SQSClient') ?? 0),
    writeUnits: sum((u) => u.writeUnits),
    readUnits: sum((u) => u.readUnits),
  };
}

/**
 * The AWS requests and DynamoDB capacity one job costs on the happy path, counted on the real code
 * paths (the intake's submitJob / submitBatch and the worker's runner) against the deployed
 * tables, with every SDK client instrumented. Writes bench/results/cost.json, which docs/cost.md
 * prices; this test keeps both true.
 */
describe('AWS requests per job (happy path)', () => {
  let queue: { url: string; topology: QueueTopology };
  const measured: Partial<Record<'single' | 'batch', ReturnType<typeof perJob> & { usage: JobUsage }>> = {};

  beforeAll(async () => {
    queue = await privateQueue('count');
  });

  afterAll(async () => {
    await new SQSClient(config).send(new DeleteQueueCommand({ QueueUrl: queue.url }));
    const { single, batch } = measured;
    if (!single || !batch) return;
    const round = (n: number) => Math.round(n * 100) / 100;
    const report = {
      measuredBy: 'test/integration/request-count.test.ts (npm test), on the emulator',
      // SDK requests to DynamoDB and SQS; the API request and the Lambda invocation are priced on their own.
      requestsPerJob: { single: round(single.requests), batch: round(batch.requests) },
      writeUnitsPerJob: { single: round(single.writeUnits), batch: round(batch.writeUnits) },
      readUnitsPerJob: { single: round(single.readUnits), batch: round(batch.readUnits) },
      // Behind the HTTP API (`api: { kind: 'http' }`); `restApi` prices the same usage behind the REST API.
      apiKind: 'http',
      perMillionUsd: { single: perMillionUsd(single.usage, 'http'), batch: perMillionUsd(batch.usage, 'http') },
      restApi: {
        perMillionUsd: { single: perMillionUsd(single.usage).total, batch: perMillionUsd(batch.usage).total },
      },
      usagePerJob: {
        single: Object.fromEntries(Object.entries(single.usage).map(([k, v]) => [k, Math.round(v * 1e4) / 1e4])),
        batch: Object.fromEntries(Object.entries(batch.usage).map(([k, v]) => [k, Math.round(v * 1e4) / 1e4])),
      },
      estimates: ESTIMATES,
      prices: AWS_PRICES,
    };
    mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('../../bench/results/cost.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  });

  async function oneJob(body: object) {
    const intake = new AwsUsage();
    const worker = new AwsUsage();
    const store = new JobStore(documentClient(intake), tables);
    const dispatcher = new JobDispatcher(intake.count(new SQSClient(config)), queue.topology, queue.url);
    const { job } = await submitJob({ store, dispatcher }, JobRequestSchema.parse(body));
    const { logBytes } = await work(queue, worker, 1);
    const finished = await new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient(config)), tables).get(job.id);
    return { intake, worker, finished, logBytes };
  }

  it('costs 2 requests at intake and 4 in the worker for a job without an idempotency key', async () => {
    const { intake, worker, finished, logBytes } = await oneJob({ type: 'noop' });
    expect(finished?.status).toBe('SUCCEEDED');
    expect(intake.byOperation).toEqual({ SendMessage: 1, PutItem: 1 });
    expect(worker.byOperation).toEqual({ ReceiveMessage: 1, UpdateItem: 2, DeleteMessageBatch: 1 });
    // The item stays under 1 KB, so each write is 1 unit; the happy path never writes the status index.
    expect(Buffer.byteLength(JSON.stringify(finished))).toBeLessThan(1024);
    const counted = perJob([intake, 1], [worker, 1]);
    expect(counted.writeUnits).toBe(3);
    measured.single = {
      ...counted,
      usage: {
        apiRequests: 1,
        lambdaInvocations: 1,
        lambdaGbSeconds: ESTIMATES.submitGbSeconds,
        sqsRequests: counted.sqsRequests,
        dynamoDbWriteUnits: counted.writeUnits,
        dynamoDbReadUnits: counted.readUnits,
        // A lone job: its worker's metrics document is its own (under load, up to 100 jobs share one).
        logBytes: logBytes + ESTIMATES.lambdaLogBytesPerInvocation,
      },
    };
  });

  it('costs a batch of 100 jobs a tenth of the requests: batch writes and sends, and receives and deletes of ten', async () => {
    // Prepare: a queue of its own, so its 100 messages reach only this runner.
    const batchQueue = await privateQueue('count-batch');
    const intake = new AwsUsage();
    const worker = new AwsUsage();
    const store = new JobStore(documentClient(intake), tables);
    const dispatcher = new JobDispatcher(intake.count(new SQSClient(config)), batchQueue.topology, batchQueue.url);
    const requests = Array.from({ length: 100 }, (): JobRequest => JobRequestSchema.parse({ type: 'noop' }));
    // Act
    const outcomes = await submitBatch({ store, dispatcher }, requests);
    const { jobs: worked, logBytes } = await work(batchQueue, worker, 10);
    // Assess: 4 batch writes of 25 and 10 sends of 10; the worker's ten jobs share a receive and a delete.
    expect(outcomes.every((outcome) => 'job' in outcome && !outcome.replayed)).toBe(true);
    expect(intake.byOperation).toEqual({ BatchWriteItem: 4, SendMessageBatch: 10 });
    expect(worked).toBe(10);
    expect(worker.byOperation).toEqual({ ReceiveMessage: 1, UpdateItem: 20, DeleteMessageBatch: 1 });
    const counted = perJob([intake, 100], [worker, 10]);
    measured.batch = {
      ...counted,
      usage: {
        apiRequests: 1 / 100,
        lambdaInvocations: 1 / 100,
        lambdaGbSeconds: ESTIMATES.batchOf100GbSeconds / 100,
        sqsRequests: counted.sqsRequests,
        dynamoDbWriteUnits: counted.writeUnits,
        dynamoDbReadUnits: counted.readUnits,
        logBytes: logBytes / worked + ESTIMATES.lambdaLogBytesPerInvocation / 100,
      },
    };
    // The other 90 jobs and the queue go, so no reaper sends them to the suite's workers.
    await new SQSClient(config).send(new DeleteQueueCommand({ QueueUrl: batchQueue.url }));
    await Promise.all(outcomes.map((outcome) => 'job' in outcome && deleteJob(outcome.job.id)));
  });

  it('writes a batch with idempotency keys in transactions: a keyed half costs one transaction', async () => {
    const batchQueue = await privateQueue('count-keyed');
    const usage = new AwsUsage();
    const store = new JobStore(documentClient(usage), tables);
    const dispatcher = new JobDispatcher(usage.count(new SQSClient(config)), batchQueue.topology, batchQueue.url);
    const run = Date.now();
    const requests = Array.from({ length: 100 }, (_, n) =>
      JobRequestSchema.parse({ type: 'noop', ...(n % 2 ? { idempotencyKey: `count-batch-${run}-${n}` } : {}) }),
    );

    const outcomes = await submitBatch({ store, dispatcher }, requests);

    expect(outcomes.every((outcome) => 'job' in outcome && !outcome.replayed)).toBe(true);
    // One read looks up the 50 keys before anything is sent.
    expect(usage.byOperation).toEqual({
      BatchGetItem: 1,
      BatchWriteItem: 2,
      TransactWriteItems: 1,
      SendMessageBatch: 10,
    });
    await new SQSClient(config).send(new DeleteQueueCommand({ QueueUrl: batchQueue.url }));
    await Promise.all(outcomes.map((outcome) => 'job' in outcome && deleteJob(outcome.job.id)));
  });

  it('writes the job and its idempotency key in one transaction', async () => {
    const { intake, worker, finished } = await oneJob({ type: 'noop', idempotencyKey: `count-${Date.now()}` });
    expect(finished?.status).toBe('SUCCEEDED');
    expect(intake.byOperation).toEqual({ GetItem: 1, SendMessage: 1, TransactWriteItems: 1 });
    expect(worker.byOperation).toEqual({ ReceiveMessage: 1, UpdateItem: 2, DeleteMessageBatch: 1 });
  });
});
