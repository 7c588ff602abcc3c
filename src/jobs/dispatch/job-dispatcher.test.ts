import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CHECKS_QUEUE_URL,
  DISPATCH_QUEUES,
  queueTopology,
  queueUrl,
  SCHEDULER_QUEUE_URL,
} from '../../../test/helpers/queue-fixtures.ts';
import { clockAtNow, NOW, queued } from '../../../test/helpers/store-fixtures.ts';
import { JobDispatcher, MAX_SQS_DELAY_SECONDS } from './job-dispatcher.ts';

const sqs = mockClient(SQSClient);
const dispatcher = new JobDispatcher(new SQSClient({}), queueTopology(), DISPATCH_QUEUES);
const job = { ...queued, id: '6f1c7a52-0d2e-4c43-9a55-3f8f8f0b8c11', priority: 'critical' as const, tenant: 'acme' };

clockAtNow();

beforeEach(() => {
  sqs.reset();
  sqs.onAnyCommand().resolves({});
});

describe('JobDispatcher.dispatch', () => {
  it("puts a due job's message on its queue at once, saying what the job was when sent, grouped by tenant", async () => {
    // Act
    await dispatcher.dispatch(job);
    // Assess
    const [call] = sqs.commandCalls(SendMessageCommand);
    expect(call?.args[0].input).toEqual({
      QueueUrl: queueUrl('cpu-critical'),
      MessageBody: JSON.stringify({ jobId: job.id, attempts: 0, type: 'email', due: NOW, tenant: 'acme' }),
      DelaySeconds: 0,
      MessageGroupId: 'acme',
    });
  });

  it("says when the job holds a place in its tenant's window, and names the tenant as the message group", async () => {
    // Act
    await dispatcher.dispatch({ ...job, tenant: 'acme' }, NOW, { place: true });
    // Assess
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(JSON.parse(input?.MessageBody ?? '')).toMatchObject({ tenant: 'acme', place: true });
    expect(input?.MessageGroupId).toBe('acme');
  });

  it('delays a start within 15 minutes on the queue itself, rounded up to the second', async () => {
    // Act
    await dispatcher.dispatch(job, NOW + 2_500);
    // Assess
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.DelaySeconds).toBe(3);
  });

  it('hands a start beyond 15 minutes to the start scheduler', async () => {
    // Prepare
    const notBefore = NOW + (MAX_SQS_DELAY_SECONDS + 1) * 1000;
    // Act
    await dispatcher.dispatch(job, notBefore);
    // Assess
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe(SCHEDULER_QUEUE_URL);
    expect(JSON.parse(input?.MessageBody ?? '')).toEqual({
      jobId: job.id,
      type: 'email',
      capacity: 'cpu',
      priority: 'critical',
      attempts: 0,
      notBefore,
    });
  });

  it('arms a check on an immediate start, naming the job, its send time and type; none on a delayed start', async () => {
    // Act
    await dispatcher.dispatch(job);
    await dispatcher.dispatch(job, NOW + 2_500);
    // Assess
    const checks = sqs
      .commandCalls(SendMessageCommand)
      .filter(({ args: [{ input }] }) => input.QueueUrl === CHECKS_QUEUE_URL);
    expect(checks.map(({ args: [{ input }] }) => JSON.parse(input.MessageBody ?? ''))).toEqual([
      { queue: 'cpu-critical', jobs: [[job.id, NOW, 'email']] },
    ]);
  });

  it("asks for a backup on the job's queue", async () => {
    // Act
    await dispatcher.dispatchBackup(job);
    // Assess
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: queueUrl('cpu-critical'),
      MessageBody: JSON.stringify({ jobId: job.id, backup: true }),
      MessageGroupId: 'acme',
    });
  });
});

describe('JobDispatcher.dispatchMany', () => {
  const starts = (count: number, priority: 'critical' | 'low') =>
    Array.from({ length: count }, (_, i) => ({
      job: { ...job, id: `${priority}-${i}`, priority },
      notBefore: NOW,
    }));

  it('sends ten messages a request, per queue', async () => {
    // Act
    const unsent = await dispatcher.dispatchMany([...starts(12, 'critical'), ...starts(3, 'low')]);
    // Assess
    const batches = sqs.commandCalls(SendMessageBatchCommand).map(({ args: [{ input }] }) => ({
      queue: input.QueueUrl,
      size: input.Entries?.length,
    }));
    expect(batches).toEqual([
      { queue: queueUrl('cpu-critical'), size: 10 },
      { queue: queueUrl('cpu-critical'), size: 2 },
      { queue: queueUrl('cpu-low'), size: 3 },
    ]);
    expect(unsent.size).toBe(0);
  });

  it('sends the entries SQS refused again, and only those', async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'low-1', Code: 'InternalError', SenderFault: false }] })
      .resolves({});
    // Act
    const unsent = await dispatcher.dispatchMany(starts(3, 'low'));
    // Assess
    const sent = sqs
      .commandCalls(SendMessageBatchCommand)
      .map(({ args: [{ input }] }) => input.Entries?.map((e) => e.Id));
    expect(sent).toEqual([['low-0', 'low-1', 'low-2'], ['low-1']]);
    expect(unsent.size).toBe(0);
  });

  it('arms one check per queue for the immediate starts it sent', async () => {
    // Act
    await dispatcher.dispatchMany([
      ...starts(12, 'critical'),
      ...starts(3, 'low'),
      { ...starts(1, 'low')[0]!, notBefore: NOW + 60_000 },
    ]);
    // Assess
    const checks = sqs
      .commandCalls(SendMessageCommand)
      .map(({ args: [{ input }] }) => JSON.parse(input.MessageBody ?? ''));
    expect(checks.map(({ queue, jobs }) => [queue, jobs.length])).toEqual([
      ['cpu-critical', 12],
      ['cpu-low', 3],
    ]);
  });

  it('counts a job whose check SQS refused as unsent, so it is not written', async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejects(new Error('throttled'));
    // Act
    const unsent = await dispatcher.dispatchMany(starts(2, 'low'));
    // Assess
    expect([...unsent].sort()).toEqual(['low-0', 'low-1']);
  });

  it('returns the jobs still without a message after its tries, a request that failed outright included', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).rejects(new Error('throttled'));
    // Act
    const unsent = await dispatcher.dispatchMany(starts(2, 'low'));
    // Assess
    expect([...unsent].sort()).toEqual(['low-0', 'low-1']);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(4);
  });
});
