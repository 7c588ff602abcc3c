import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT } from '../../infra/queues.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { deployment, sqs } = testStack();

describe('SQS redrive', () => {
  it('parks a message no worker can read in the dead-letter queue', async () => {
    // Prepare: the test stack's redrive settings name each queue's DLQ.
    const queue = deployment.queues['cpu-low']!;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['RedrivePolicy'] }),
    );
    const redrive = JSON.parse(Attributes?.RedrivePolicy ?? '{}') as {
      deadLetterTargetArn: string;
      maxReceiveCount: number;
    };
    const dlqName = redrive.deadLetterTargetArn.split(':').pop()!;
    const dlqUrl = queue.url.replace(/[^/]+$/, dlqName);
    const depth = async () => {
      // Visible or not: the reaper hides a message it cannot read while it looks at it.
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    };
    const before = await depth();
    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'not a tailguard message' }));
    // Assess
    expect(redrive.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
    await waitFor(depth, (n) => n === before + 1, { timeoutMs: 30_000, what: 'the message to reach the DLQ' });
  });
});
