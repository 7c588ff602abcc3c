import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DISPATCH_QUEUES, deadLetterQueueUrl, queueTopology, queueUrl } from '../../../test/helpers/queue-fixtures.ts';
import { conditionFailed, mockedStoreAtNow, queued } from '../../../test/helpers/store-fixtures.ts';
import { JobDispatcher } from '../dispatch/index.ts';
import type { Job } from '../model/index.ts';
import { RedriveRequestSchema, redriveDeadLetters } from './dead-letters.ts';

const { db, store } = mockedStoreAtNow();
const sqs = mockClient(SQSClient);
const client = new SQSClient({});
const deps = {
  store,
  dispatcher: new JobDispatcher(client, queueTopology(), DISPATCH_QUEUES),
  sqs: client,
  topology: queueTopology(),
};
const deadJob = (id: string): Job => ({ ...queued, id, status: 'DEAD', attempts: 3 });
const request = RedriveRequestSchema.parse({ capacity: 'cpu', priority: 'default', limit: 10 });
/** SendMessageBatch's answer for the entries it took. */
const sent = (...ids: string[]) => ids.map((Id) => ({ Id, MessageId: `copy-${Id}`, MD5OfMessageBody: '' }));
const dlqMessage = (id: string) => ({ MessageId: id, Body: `{"jobId":"${id}"}`, ReceiptHandle: `r-${id}` });

beforeEach(() => {
  sqs.reset();
  sqs.onAnyCommand().resolves({});
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  db.on(QueryCommand).resolves({ Items: [] });
});

describe('redriveDeadLetters', () => {
  it("requeues the queue's dead jobs and moves its DLQ messages back: received, sent, then deleted", async () => {
    // Prepare
    db.on(QueryCommand)
      .resolvesOnce({ Items: [deadJob('d1'), deadJob('d2')] })
      .resolves({ Items: [] });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [dlqMessage('m1'), dlqMessage('m2')] })
      .resolves({ Messages: [] });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: sent('0', '1') });
    // Act
    const result = await redriveDeadLetters(deps, request);
    // Assess
    expect(result).toEqual({ requeued: 2, messagesMoved: 2, remaining: false });
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.QueueUrl).toBe(deadLetterQueueUrl('cpu-default'));
    const [send] = sqs.commandCalls(SendMessageBatchCommand);
    expect(send?.args[0].input.QueueUrl).toBe(queueUrl('cpu-default'));
    expect(send?.args[0].input.Entries?.map((e) => e.MessageBody)).toEqual(['{"jobId":"m1"}', '{"jobId":"m2"}']);
    const [removed] = sqs.commandCalls(DeleteMessageBatchCommand);
    expect(removed?.args[0].input).toEqual({
      QueueUrl: deadLetterQueueUrl('cpu-default'),
      Entries: [
        { Id: '0', ReceiptHandle: 'r-m1' },
        { Id: '1', ReceiptHandle: 'r-m2' },
      ],
    });
  });

  it('skips a dead job someone requeued meanwhile', async () => {
    // Prepare
    db.on(QueryCommand)
      .resolvesOnce({ Items: [deadJob('d1'), deadJob('d2')] })
      .resolves({ Items: [] });
    db.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    // Act
    const result = await redriveDeadLetters(deps, request);
    // Assess
    expect(result.requeued).toBe(1);
  });

  it('leaves a message it could not send back in the DLQ, and says some remain', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [dlqMessage('m1'), dlqMessage('m2')] });
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: sent('0'),
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    // Act
    const result = await redriveDeadLetters(deps, request);
    // Assess
    expect(result).toEqual({ requeued: 0, messagesMoved: 1, remaining: true });
    const [removed] = sqs.commandCalls(DeleteMessageBatchCommand);
    expect(removed?.args[0].input.Entries).toEqual([{ Id: '0', ReceiptHandle: 'r-m1' }]);
  });

  it('moves at most its limit of messages, and says more may remain', async () => {
    // Prepare
    const small = RedriveRequestSchema.parse({ capacity: 'cpu', priority: 'default', limit: 2 });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [dlqMessage('m1'), dlqMessage('m2')] });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: sent('0', '1') });
    // Act
    const result = await redriveDeadLetters(deps, small);
    // Assess
    expect(result).toEqual({ requeued: 0, messagesMoved: 2, remaining: true });
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.MaxNumberOfMessages).toBe(2);
  });
});
