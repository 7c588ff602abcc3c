import { DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DeleteBatcher } from './delete-batcher.ts';

const sqs = mockClient(SQSClient);
const sent = () => sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input);

describe('DeleteBatcher', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  it('sends ten deletes of a queue in one batch at once, and the rest when their wait is up', async () => {
    // Prepare
    vi.useFakeTimers();
    const batcher = new DeleteBatcher(new SQSClient({}), { maxWaitMs: 20, onError: vi.fn() });
    // Act: twelve messages of queue a, one of queue b.
    for (let i = 0; i < 12; i++) batcher.add('a', `a${i}`);
    batcher.add('b', 'b0');
    const atOnce = sent().length;
    await vi.advanceTimersByTimeAsync(20);
    vi.useRealTimers();
    // Assess
    expect(atOnce).toBe(1);
    expect(sent().map((input) => [input.QueueUrl, input.Entries?.map((e) => e.ReceiptHandle)])).toEqual([
      ['a', ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9']],
      ['a', ['a10', 'a11']],
      ['b', ['b0']],
    ]);
  });

  it('sends what waits when flushed, and reports failed entries and failed calls without throwing', async () => {
    // Prepare
    const onError = vi.fn();
    const batcher = new DeleteBatcher(new SQSClient({}), { maxWaitMs: 60_000, onError });
    sqs
      .on(DeleteMessageBatchCommand, { QueueUrl: 'a' })
      .resolves({ Successful: [{ Id: '0' }], Failed: [{ Id: '1', SenderFault: true, Code: 'X', Message: 'gone' }] })
      .on(DeleteMessageBatchCommand, { QueueUrl: 'b' })
      .rejects(new Error('network'));
    batcher.add('a', 'a0');
    batcher.add('a', 'a1');
    batcher.add('b', 'b0');
    // Act
    await batcher.flush();
    // Assess
    expect(sent()).toHaveLength(2);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'gone' }), 1);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'network' }), 1);
  });
});
