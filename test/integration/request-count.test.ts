import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AWS_PRICES,
  type JobUsage,
  type PayloadUsage,
  payloadPerMillionUsd,
  perMillionUsd,
} from '../../bench/lib/aws-prices.ts';
import { builtinHandlers } from '../../demo/worker/builtin-handlers.ts';
import { localClientConfig } from '../../local/aws-env.ts';
import { chunks } from '../../src/aws/batches.ts';
import { JobDispatcher, parseMessageCheck, type QueueTopology } from '../../src/jobs/dispatch/index.ts';
import { type JobRequest, JobRequestSchema, submitBatch, submitJob } from '../../src/jobs/intake/index.ts';
import { JobMetricsRecorder } from '../../src/jobs/metrics/index.ts';
import { ALL_QUEUE_KEYS } from '../../src/jobs/model/index.ts';
import { DEFAULT_PAYLOAD_LIMITS, newUpload, PayloadStore } from '../../src/jobs/payloads/index.ts';
import { CheckRecords, DEFAULT_CHECK_SETTINGS, reviewChecks, SqsCheckQueue } from '../../src/jobs/reaper/index.ts';
import type { ReceivedBody } from '../../src/jobs/reaper/reaper-queues.ts';
import { JobStore } from '../../src/jobs/store/index.ts';
import { JobPayloads } from '../../workers/job-payloads.ts';
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
const ESTIMATES = {
  submitGbSeconds: 0.02,
  batchOf100GbSeconds: 0.1,
  /** A review of one delivery of checks: 256 MB for ≈ 0.2 s. */
  reviewGbSeconds: 0.05,
  lambdaLogBytesPerInvocation: 700,
};

const documentClient = (usage: AwsUsage) =>
  DynamoDBDocumentClient.from(usage.count(new DynamoDBClient(config)), {
    marshallOptions: { removeUndefinedValues: true },
  });

/** Removes a counted job that was never run (its queue is deleted with it), so nothing else meets it. */
const deleteJob = (id: string) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(config)).send(
    new DeleteCommand({ TableName: tables.jobs, Key: { id } }),
  );

interface PrivateQueue {
  url: string;
  topology: QueueTopology;
  /** Its own checks queue (no delivery delay: the counted review reads the checks at once). */
  checksUrl: string;
}

/** A queue of its own, so the suite's workers do not take the counted jobs, nor its reviewer their checks. */
async function privateQueue(name: string): Promise<PrivateQueue> {
  const sqs = new SQSClient(config);
  const create = async (suffix: string) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: `tailguard-${name}${suffix}-${Date.now()}` }))).QueueUrl!;
  const [url, checksUrl] = await Promise.all([create(''), create('-checks')]);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const address = { url, arn: Attributes!.QueueArn!, dlqUrl: url, dlqArn: Attributes!.QueueArn! };
  return { url, checksUrl, topology: Object.fromEntries(ALL_QUEUE_KEYS.map((key) => [key, address])) };
}

async function deleteQueue(queue: PrivateQueue): Promise<void> {
  const sqs = new SQSClient(config);
  await Promise.all([queue.url, queue.checksUrl].map((url) => sqs.send(new DeleteQueueCommand({ QueueUrl: url }))));
}

const dispatcherOf = (sqs: SQSClient, queue: PrivateQueue) =>
  new JobDispatcher(sqs, queue.topology, { schedulerQueueUrl: queue.url, checksQueueUrl: queue.checksUrl });

/**
 * The reviewer's side of `checks` checks: one delivery, as the checks queue's event source hands it
 * over (receives of ten), reviewed, and deleted as the event source does after a success.
 */
async function review(queue: PrivateQueue, usage: AwsUsage, records: CheckRecords, checks: number): Promise<number> {
  const sqs = usage.count(new SQSClient(config));
  const checkQueue = new SqsCheckQueue(sqs, queue.checksUrl);
  const received: ReceivedBody[] = [];
  while (received.length < checks) received.push(...(await checkQueue.receive(30)));
  const store = new JobStore(documentClient(usage), tables);
  const reviewed = await reviewChecks(
    {
      store,
      dispatcher: dispatcherOf(sqs, queue),
      held: () => Promise.resolve(0),
      recheck: checkQueue.recheck.bind(checkQueue),
      records,
    },
    received.map(({ body }) => parseMessageCheck(body)!),
    DEFAULT_CHECK_SETTINGS,
  );
  for (const part of chunks(received, 10)) await checkQueue.delete(part);
  return reviewed.jobs;
}

/**
 * The worker's side of the jobs waiting on `queue`: one receive of up to 10, the runner's claim,
 * handler and settle, with the worker's own logger and per-queue metrics; returns how many jobs
 * it ran and the bytes it printed for them (what CloudWatch Logs would ingest).
 */
const payloadStore = (usage: AwsUsage) =>
  new PayloadStore(usage.count(new S3Client({ ...config, forcePathStyle: true })), deployment.payloadBucket!);

async function work(queue: PrivateQueue, usage: AwsUsage, max: number, payloads?: JobPayloads) {
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
      dispatcher: dispatcherOf(sqs, queue),
      registry: builtinHandlers(),
      logger: new Logger({ serviceName: 'tailguard-worker', logLevel: 'INFO' }),
      metrics,
      payloads,
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

/** A job's usage with its check's review added: its share of the reviewer's requests, reads and invocation. */
function withReview(
  measured: ReturnType<typeof perJob> & { usage: JobUsage },
  review: ReturnType<typeof perJob>,
  jobsPerDelivery: number,
): ReturnType<typeof perJob> & { usage: JobUsage } {
  const add = (key: keyof ReturnType<typeof perJob>) => measured[key] + review[key];
  return {
    requests: add('requests'),
    sqsRequests: add('sqsRequests'),
    writeUnits: add('writeUnits'),
    readUnits: measured.readUnits + Math.max(review.readUnits, 0.5),
    usage: {
      ...measured.usage,
      // One reviewer invocation a delivery (the event source hands over up to 100 checks).
      lambdaInvocations: measured.usage.lambdaInvocations + 1 / jobsPerDelivery,
      lambdaGbSeconds: measured.usage.lambdaGbSeconds + ESTIMATES.reviewGbSeconds / jobsPerDelivery,
      sqsRequests: measured.usage.sqsRequests + review.sqsRequests,
      // A fresh reviewer's first write of the claimed frontier, shared here by ten jobs: an upper bound
      // (a warm reviewer writes it once per tenth of a grace period, whatever the rate).
      dynamoDbWriteUnits: measured.usage.dynamoDbWriteUnits + review.writeUnits,
      // The emulator reports no capacity for BatchGetItem; AWS charges half a unit for an
      // eventually consistent read of an item up to 4 KB (a job item stays under 1 KB).
      dynamoDbReadUnits: measured.usage.dynamoDbReadUnits + Math.max(review.readUnits, 0.5),
    },
  };
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

const costFile = new URL('../../bench/results/cost.json', import.meta.url);

/** cost.json's `workflow` row as it stands, if any. */
function previousWorkflowRow(): { workflow?: unknown } {
  if (!existsSync(costFile)) return {};
  const { workflow } = JSON.parse(readFileSync(costFile, 'utf8')) as { workflow?: unknown };
  return workflow === undefined ? {} : { workflow };
}

/**
 * The AWS requests and DynamoDB capacity one job costs on the happy path, counted on the real code
 * paths (the intake's submitJob / submitBatch and the worker's runner) against the deployed
 * tables, with every SDK client instrumented. Writes bench/results/cost.json, which docs/cost.md
 * prices; this test keeps both true.
 */
describe('AWS requests per job (happy path)', () => {
  let queue: PrivateQueue;
  const measured: Partial<Record<'single' | 'batch', ReturnType<typeof perJob> & { usage: JobUsage }>> = {};
  /** Per job, what reviewing its message's check costs, by how it was submitted. */
  const reviews: Partial<Record<'single' | 'batch', ReturnType<typeof perJob>>> = {};
  /** Per job, what a payload and result kept in the payload bucket add, by how the payload came. */
  const payloadUsage: Partial<Record<'storedByIntake' | 'uploaded', PayloadUsage>> = {};

  beforeAll(async () => {
    queue = await privateQueue('count');
  });

  afterAll(async () => {
    await deleteQueue(queue);
    const { single: intakeAndWorker, batch: batchedIntakeAndWorker } = measured;
    if (!intakeAndWorker || !batchedIntakeAndWorker || !reviews.single || !reviews.batch) return;
    const single = withReview(intakeAndWorker, reviews.single, 100);
    const batch = withReview(batchedIntakeAndWorker, reviews.batch, 100 * 100);
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
      // Beside the inline path: a 1 MB payload intake stored (echo: a 1 MB result, fetched once
      // from outside by its presigned URL), and a 1 MB upload (POST /uploads, the client's PUT).
      ...(payloadUsage.storedByIntake &&
        payloadUsage.uploaded && {
          largePayloads: {
            inlineThresholdBytes: DEFAULT_PAYLOAD_LIMITS.inlineBytes,
            retentionDays: 30,
            usagePerJob: payloadUsage,
            perMillionUsd: {
              storedByIntake: payloadPerMillionUsd(payloadUsage.storedByIntake),
              uploaded: payloadPerMillionUsd(payloadUsage.uploaded),
            },
          },
        }),
      estimates: ESTIMATES,
      prices: AWS_PRICES,
      // The workflow row is bench:workflows' (bench/workflows.ts): kept as that run wrote it.
      ...previousWorkflowRow(),
    };
    mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
    writeFileSync(costFile, `${JSON.stringify(report, null, 2)}\n`);
  });

  async function oneJob(body: object) {
    const intake = new AwsUsage();
    const worker = new AwsUsage();
    const store = new JobStore(documentClient(intake), tables);
    const dispatcher = dispatcherOf(intake.count(new SQSClient(config)), queue);
    const { job } = await submitJob({ store, dispatcher }, JobRequestSchema.parse(body));
    const { logBytes } = await work(queue, worker, 1);
    const finished = await new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient(config)), tables).get(job.id);
    return { intake, worker, finished, logBytes };
  }

  it('costs 3 requests at intake (the message, its check, the job) and 4 in the worker for a job without an idempotency key', async () => {
    const { intake, worker, finished, logBytes } = await oneJob({ type: 'noop' });
    expect(finished?.status).toBe('SUCCEEDED');
    expect(intake.byOperation).toEqual({ SendMessage: 2, PutItem: 1 });
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

  it('costs a payload over the threshold one S3 PUT at intake and one GET in the worker, and its large result one PUT', async () => {
    // Prepare
    const intake = new AwsUsage();
    const worker = new AwsUsage();
    const payload = { text: 'x'.repeat(1_000_000) };
    const bytes = Buffer.byteLength(JSON.stringify(payload));
    const store = new JobStore(documentClient(intake), tables);
    const dispatcher = dispatcherOf(intake.count(new SQSClient(config)), queue);
    // Act
    const { job } = await submitJob(
      { store, dispatcher, payloads: payloadStore(intake) },
      JobRequestSchema.parse({ type: 'echo', payload }),
    );
    await work(queue, worker, 1, new JobPayloads(payloadStore(worker)));
    const finished = await new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient(config)), tables).get(job.id);
    // Assess: the item stays small; the bytes are in S3, once each way.
    expect(finished).toMatchObject({ status: 'SUCCEEDED', resultObject: { bytes, format: 'json' } });
    expect(intake.byOperation).toEqual({ PutObject: 1, SendMessage: 2, PutItem: 1 });
    expect(worker.byOperation).toEqual({
      ReceiveMessage: 1,
      GetObject: 1,
      PutObject: 1,
      UpdateItem: 2,
      DeleteMessageBatch: 1,
    });
    // A result read by its presigned URL is one more GET, signed by GET /jobs/{id} with no request.
    payloadUsage.storedByIntake = { s3PutRequests: 2, s3GetRequests: 2, storedBytes: 2 * bytes, bytesOut: bytes };
  });

  it('costs an uploaded payload a HEAD at intake and a GET in the worker, beside the caller`s PUT', async () => {
    // Prepare: the caller's PUT through its presigned URL, here straight to the bucket.
    const intake = new AwsUsage();
    const worker = new AwsUsage();
    const { ref, key } = newUpload();
    const bytes = 1_000_000;
    await payloadStore(new AwsUsage()).put(key, JSON.stringify({ pad: 'x'.repeat(bytes - 10) }), 'json');
    const store = new JobStore(documentClient(intake), tables);
    const dispatcher = dispatcherOf(intake.count(new SQSClient(config)), queue);
    // Act
    const { job } = await submitJob(
      { store, dispatcher, payloads: payloadStore(intake) },
      JobRequestSchema.parse({ type: 'noop', payloadRef: ref }),
    );
    await work(queue, worker, 1, new JobPayloads(payloadStore(worker)));
    const finished = await new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient(config)), tables).get(job.id);
    // Assess
    expect(finished?.status).toBe('SUCCEEDED');
    expect(intake.byOperation).toEqual({ HeadObject: 1, SendMessage: 2, PutItem: 1 });
    expect(worker.byOperation).toMatchObject({ GetObject: 1 });
    // Besides: POST /uploads (an API request and an invocation, presigning sends nothing) and the caller's PUT.
    payloadUsage.uploaded = { s3PutRequests: 1, s3GetRequests: 2, storedBytes: bytes, bytesOut: 0 };
  });

  it('costs a batch of 100 jobs a tenth of the requests: batch writes and sends, and receives and deletes of ten', async () => {
    // Prepare: a queue of its own, so its 100 messages reach only this runner.
    const batchQueue = await privateQueue('count-batch');
    const intake = new AwsUsage();
    const worker = new AwsUsage();
    const store = new JobStore(documentClient(intake), tables);
    const dispatcher = dispatcherOf(intake.count(new SQSClient(config)), batchQueue);
    const requests = Array.from({ length: 100 }, (): JobRequest => JobRequestSchema.parse({ type: 'noop' }));
    // Act
    const outcomes = await submitBatch({ store, dispatcher }, requests);
    const { jobs: worked, logBytes } = await work(batchQueue, worker, 10);
    // Assess: 4 batch writes of 25, 10 sends of 10 and one check; the worker's ten jobs share a receive and a delete.
    expect(outcomes.every((outcome) => 'job' in outcome && !outcome.replayed)).toBe(true);
    expect(intake.byOperation).toEqual({ BatchWriteItem: 4, SendMessageBatch: 10, SendMessage: 1 });
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
    await deleteQueue(batchQueue);
    await Promise.all(outcomes.map((outcome) => 'job' in outcome && deleteJob(outcome.job.id)));
  });

  it('writes a batch with idempotency keys in transactions: a keyed half costs one transaction', async () => {
    const batchQueue = await privateQueue('count-keyed');
    const usage = new AwsUsage();
    const store = new JobStore(documentClient(usage), tables);
    const dispatcher = dispatcherOf(usage.count(new SQSClient(config)), batchQueue);
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
      SendMessage: 1,
    });
    await deleteQueue(batchQueue);
    await Promise.all(outcomes.map((outcome) => 'job' in outcome && deleteJob(outcome.job.id)));
  });

  it('writes the job and its idempotency key in one transaction', async () => {
    const { intake, worker, finished } = await oneJob({ type: 'noop', idempotencyKey: `count-${Date.now()}` });
    expect(finished?.status).toBe('SUCCEEDED');
    expect(intake.byOperation).toEqual({ GetItem: 1, SendMessage: 2, TransactWriteItems: 1 });
    expect(worker.byOperation).toEqual({ ReceiveMessage: 1, UpdateItem: 2, DeleteMessageBatch: 1 });
  });

  it('reviews the checks of finished jobs with one read of their jobs a delivery, and sends nothing', async () => {
    // Prepare: ten lone jobs (ten checks) and a batch of 100 (one check), all run before their checks are due.
    const reviewQueue = await privateQueue('count-review');
    const store = new JobStore(documentClient(new AwsUsage()), tables);
    const dispatcher = dispatcherOf(new SQSClient(config), reviewQueue);
    for (let n = 0; n < 10; n++) await submitJob({ store, dispatcher }, JobRequestSchema.parse({ type: 'noop' }));
    for (let done = 0; done < 10; ) done += (await work(reviewQueue, new AwsUsage(), 10)).jobs;
    const singles = new AwsUsage();
    const batched = new AwsUsage();
    // One reviewer (its memory of the claimed frontier lives as long as its Lambda environment).
    const records = new CheckRecords(documentClient(singles), deployment.coordinationTable);
    // Act
    const singleJobs = await review(reviewQueue, singles, records, 10);
    await submitBatch(
      { store, dispatcher },
      Array.from({ length: 100 }, () => JobRequestSchema.parse({ type: 'noop' })),
    );
    for (let done = 0; done < 100; ) done += (await work(reviewQueue, new AwsUsage(), 10)).jobs;
    const batchJobs = await review(reviewQueue, batched, records, 1);
    // Assess: finished jobs need no queue count, no frontier read, no fresh message, no check back; the
    // first review records the claimed frontier (a reviewer writes it once per tenth of a grace of progress).
    expect([singleJobs, batchJobs]).toEqual([10, 100]);
    expect(singles.byOperation).toEqual({ ReceiveMessage: 1, BatchGetItem: 1, DeleteMessageBatch: 1, UpdateItem: 1 });
    expect(batched.byOperation).toEqual({ ReceiveMessage: 1, BatchGetItem: 1, DeleteMessageBatch: 1 });
    reviews.single = perJob([singles, 10]);
    reviews.batch = perJob([batched, 100]);
    await deleteQueue(reviewQueue);
  });
});
