import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, BatchWriteCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockedStore } from '../../../test/helpers/store-fixtures.ts';
import { JobDispatcher, type QueueTopology } from '../dispatch/index.ts';
import type { FairDispatch } from '../fairness/index.ts';
import { ALL_QUEUE_KEYS, EnqueueFailedError, IdempotencyKeyReusedError } from '../model/index.ts';
import { JobRequestSchema } from './job-request.ts';
import type { QueuedCap } from './queued-cap.ts';
import { type BatchOutcome, submitBatch } from './submit-batch.ts';
import { hashRequest } from './submit-job.ts';

/**
 * The batch's rare failure branches, on mocked clients; the happy path and validation run against
 * the emulator (test/integration/batch.test.ts, load.test.ts, request-count.test.ts).
 */
const { db, store } = mockedStore();
const sqs = mockClient(SQSClient);
const queue = 'https://sqs.us-east-1.amazonaws.com/000000000000/q';
const topology = Object.fromEntries(
  ALL_QUEUE_KEYS.map((key) => [key, { url: queue, arn: 'arn:q', dlqUrl: queue, dlqArn: 'arn:q' }]),
) as QueueTopology;
let ids = 0;
const deps = {
  store,
  dispatcher: new JobDispatcher(new SQSClient({}), topology, { schedulerQueueUrl: queue, checksQueueUrl: queue }),
  newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
};
const requests = (...bodies: object[]) => bodies.map((body) => JobRequestSchema.parse(body));
/** The record an earlier request with `body`'s idempotency key left, pointing at job `jobId`. */
const recordOf = (body: { idempotencyKey: string }, jobId: string) => ({
  key: body.idempotencyKey,
  jobId,
  requestHash: hashRequest(JobRequestSchema.parse(body)),
  expiresAt: 1,
});
const statuses = (outcomes: BatchOutcome[]) =>
  outcomes.map((o) => ('job' in o ? (o.replayed ? 'replayed' : 'created') : o.error.constructor.name));

beforeEach(() => {
  db.reset();
  sqs.reset();
  db.onAnyCommand().resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('submitBatch', () => {
  it('writes again the jobs DynamoDB left unprocessed, then answers them created', async () => {
    db.on(BatchWriteCommand)
      .resolvesOnce({
        UnprocessedItems: { jobs: [{ PutRequest: { Item: { id: '00000000-0000-4000-8000-000000000002' } } }] },
      })
      .resolves({});
    ids = 0;

    const outcomes = await submitBatch(deps, requests({ type: 'a' }, { type: 'b' }));

    expect(statuses(outcomes)).toEqual(['created', 'created']);
    const writes = db.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems!.jobs!.length);
    expect(writes).toEqual([2, 1]);
  });

  it('answers 503 (ENQUEUE_FAILED) for a job whose write keeps failing, and the others go on', async () => {
    db.on(BatchWriteCommand).rejects(new Error('throttled'));

    const outcomes = await submitBatch(deps, requests({ type: 'a' }, { type: 'b', idempotencyKey: 'k1' }));

    expect(outcomes[0]).toMatchObject({ error: expect.any(EnqueueFailedError) });
    expect(statuses(outcomes)[1]).toBe('created');
    // Both messages went first: the unwritten job's is dropped by the worker that finds no job.
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries).toHaveLength(2);
  });

  it('never writes a job whose message SQS kept refusing, answering it 503, and writes the rest', async () => {
    ids = 0;
    const refused = '00000000-0000-4000-8000-000000000001';
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: refused, Code: 'InternalError', SenderFault: false }],
    });

    const outcomes = await submitBatch(deps, requests({ type: 'a' }, { type: 'b' }));

    expect(outcomes[0]).toMatchObject({ error: expect.any(EnqueueFailedError) });
    expect(statuses(outcomes)[1]).toBe('created');
    const written = db.commandCalls(BatchWriteCommand).flatMap((c) => c.args[0].input.RequestItems!.jobs!);
    expect(written.map((w) => w.PutRequest?.Item?.id)).toEqual(['00000000-0000-4000-8000-000000000002']);
    // Sent once, then the refused entry alone until the tries ran out.
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([2, 1, 1, 1]);
  });

  it('replays keys used before without sending or writing anything for them', async () => {
    const earlier = { type: 'a', idempotencyKey: 'earlier' };
    const record = recordOf(earlier, 'j0');
    db.on(BatchGetCommand).resolves({ Responses: { idempotency: [record] } });
    db.on(GetCommand).resolves({ Item: { id: 'j0', type: 'a' } });

    const outcomes = await submitBatch(deps, requests(earlier, { type: 'b' }));

    expect(statuses(outcomes)).toEqual(['replayed', 'created']);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries).toHaveLength(1);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("replays a key another request already took, and writes the rest of that key's transaction again", async () => {
    const taken = { type: 'a', idempotencyKey: 'taken' };
    const existing = recordOf(taken, 'earlier');
    db.on(TransactWriteCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [
            { Code: 'None' },
            { Code: 'ConditionalCheckFailed', Item: marshall(existing) },
            { Code: 'None' },
            { Code: 'None' },
          ],
        }),
      )
      .resolves({});
    db.on(GetCommand).resolves({ Item: { id: 'earlier', type: 'a' } });

    const outcomes = await submitBatch(deps, requests(taken, { type: 'b', idempotencyKey: 'fresh' }));

    expect(statuses(outcomes)).toEqual(['replayed', 'created']);
    expect(outcomes[0]).toMatchObject({ job: { id: 'earlier' } });
    const transactions = db.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!.length);
    expect(transactions).toEqual([4, 2]);
  });

  it('answers a key reused with another body earlier in the same batch 409, writing the key once', async () => {
    const outcomes = await submitBatch(
      deps,
      requests(
        { type: 'a', idempotencyKey: 'k' },
        { type: 'a', idempotencyKey: 'k' },
        { type: 'b', idempotencyKey: 'k' },
      ),
    );

    expect(statuses(outcomes)).toEqual(['created', 'replayed', IdempotencyKeyReusedError.name]);
    expect(db.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems).toHaveLength(2);
  });

  it("answers the items past a tenant's room under its cap 429, sending and writing only those within it", async () => {
    // Prepare: acme may have 3 waiting and has 1; quiet has no cap.
    const queuedCap: QueuedCap = {
      capOf: async (tenant) => (tenant === 'acme' ? 3 : undefined),
      waiting: async () => 1,
      count: (tenant) => ({ Update: { TableName: 'coordination', Key: { name: tenant }, UpdateExpression: 'count' } }),
      retryAfterSeconds: 5,
    };
    const acme = { type: 'email', tenant: 'acme' };

    // Act
    const outcomes = await submitBatch(
      { ...deps, queuedCap },
      requests(acme, { type: 'email', tenant: 'quiet' }, acme, acme, acme),
    );

    // Assess
    expect(statuses(outcomes)).toEqual([
      'created',
      'created',
      'created',
      'TenantQueueFullError',
      'TenantQueueFullError',
    ]);
    const sent = sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(sent).toHaveLength(3);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
    expect(db.commandCalls(BatchWriteCommand)).toHaveLength(1);
  });

  it('sends the jobs that took places saying so, writes the held ones HELD without a message, then releases', async () => {
    // Prepare: the window takes the first job of three.
    const fairness = {
      admit: vi.fn(async (jobs: { id: string }[]) => new Set([jobs[0]!.id])),
      afterHold: vi.fn(async () => undefined),
      unhold: vi.fn(async () => undefined),
    };
    // Act
    const outcomes = await submitBatch(
      { ...deps, fairness: fairness as unknown as FairDispatch },
      requests(
        { type: 'a', tenant: 'acme' },
        { type: 'a', tenant: 'acme' },
        { type: 'a', tenant: 'acme', delaySeconds: 60 },
      ),
    );
    // Assess: the delayed job passes by the window.
    expect(outcomes.map((o) => 'job' in o && o.job.status)).toEqual(['QUEUED', 'HELD', 'SCHEDULED']);
    expect(fairness.admit.mock.calls[0]![0]).toHaveLength(2);
    const bodies = sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap(({ args: [{ input }] }) => input.Entries!.map((e) => JSON.parse(e.MessageBody!)));
    expect(bodies.map((b) => b.place)).toEqual([true, undefined]);
    expect(fairness.afterHold).toHaveBeenCalledWith([expect.objectContaining({ status: 'HELD' })]);
  });

  it('uncounts the hold of a held job whose key another request took meanwhile', async () => {
    // Prepare: no place; the keyed job's transaction finds its key taken.
    const taken = { type: 'a', tenant: 'acme', idempotencyKey: 'taken' };
    const fairness = {
      admit: vi.fn(async () => new Set<string>()),
      afterHold: vi.fn(async () => undefined),
      unhold: vi.fn(async () => undefined),
    };
    db.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed', Item: marshall(recordOf(taken, 'j0')) },
        ],
      }),
    );
    db.on(GetCommand).resolves({ Item: { id: 'j0', type: 'a' } });
    // Act
    const outcomes = await submitBatch({ ...deps, fairness: fairness as unknown as FairDispatch }, requests(taken));
    // Assess
    expect(statuses(outcomes)).toEqual(['replayed']);
    expect(fairness.unhold).toHaveBeenCalledWith([expect.objectContaining({ status: 'HELD', tenant: 'acme' })]);
  });
});
