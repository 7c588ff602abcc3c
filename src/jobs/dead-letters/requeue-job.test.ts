import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DISPATCH_QUEUES, queueTopology } from '../../../test/helpers/queue-fixtures.ts';
import { readable } from '../../../test/helpers/readable-update.ts';
import { conditionFailed, mockedStoreAtNow, queued } from '../../../test/helpers/store-fixtures.ts';
import { JobDispatcher } from '../dispatch/index.ts';
import { type Job, JobNotDeadError } from '../model/index.ts';
import { requeueById, requeueDeadJob } from './requeue-job.ts';

const { db, store, onlyUpdate } = mockedStoreAtNow();
const sqs = mockClient(SQSClient);
const dispatcher = new JobDispatcher(new SQSClient({}), queueTopology(), DISPATCH_QUEUES);
const dead: Job = {
  ...queued,
  status: 'DEAD',
  attempts: 3,
  error: { name: 'Error', message: 'boom', retryable: true },
  finishedAt: 'then',
};

beforeEach(() => {
  sqs.reset();
  sqs.onAnyCommand().resolves({});
});

describe('requeueDeadJob', () => {
  it('sends its message a second ahead, then queues the job with a fresh attempt budget, history kept', async () => {
    // Prepare
    const calls: string[] = [];
    sqs.on(SendMessageCommand).callsFake(() => calls.push('send'));
    db.on(UpdateCommand).callsFake(() => calls.push('write'));
    // Act
    const requeued = await requeueDeadJob(store, dispatcher, dead);
    // Assess
    expect(calls).toEqual(['send', 'write']);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.DelaySeconds).toBe(1);
    expect(readable(onlyUpdate())).toMatchObject({
      set: { status: 'QUEUED', attempts: 0, requeues: 1, deadLetterReturns: 0 },
      remove: expect.arrayContaining(['error', 'finishedAt', 'leases', 'speculation']),
      condition: 'status = "DEAD" AND version = 3',
    });
    expect(requeued).toMatchObject({ status: 'QUEUED', attempts: 0, attemptLog: dead.attemptLog });
  });

  it('refuses a job that is not dead, sending nothing', async () => {
    // Act
    const requeued = requeueDeadJob(store, dispatcher, queued);
    // Assess
    await expect(requeued).rejects.toThrow(JobNotDeadError);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('leaves the job dead when its message cannot be sent', async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejects(new Error('SQS is down'));
    // Act
    const requeued = requeueDeadJob(store, dispatcher, dead);
    // Assess
    await expect(requeued).rejects.toThrow('SQS is down');
    expect(db.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe('requeueById', () => {
  it('reads the job again and retries when it moved between the read and the write', async () => {
    // Prepare: the first write finds the job changed (another requeue's count, say).
    db.on(GetCommand)
      .resolvesOnce({ Item: dead })
      .resolves({ Item: { ...dead, version: 4 } });
    db.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    // Act
    const requeued = await requeueById(store, dispatcher, dead.id);
    // Assess
    expect(requeued.version).toBe(5);
    expect(db.commandCalls(UpdateCommand)).toHaveLength(2);
  });
});
