import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { readSection } from '../../src/aws/environment/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { FireSchema, fireSchedule, SCHEDULED_TIME_PLACEHOLDER } from '../../src/jobs/schedules/index.ts';

/** How long a held-back fire (overlap `bufferOne`) waits before it looks at the previous job again. */
const BUFFER_RECHECK_SECONDS = 15;

const logger = new Logger({ serviceName: 'tailguard' });
const processor = new BatchProcessor(EventType.SQS);
const fireQueueUrl = readSection('recurringSchedules').fireQueueUrl;

async function record(message: SQSRecord): Promise<void> {
  const body = JSON.parse(message.body) as { scheduledTime?: unknown };
  if (body.scheduledTime === SCHEDULED_TIME_PLACEHOLDER) {
    // Only an emulator that fires schedules without filling in their context attributes sends this
    // (MiniStack; the local runtime fires them itself, docs/emulator.md): without its time it cannot be one fire.
    logger.warn('fire without its scheduled time dropped', { messageId: message.messageId });
    return;
  }
  const fire = FireSchema.parse(body);
  const result = await fireSchedule(
    { store: runtime.store(), dispatcher: runtime.dispatcher(), fires: runtime.fireLog() },
    fire,
  );
  if (result.outcome === 'buffered') {
    await runtime.sqs().send(
      new SendMessageCommand({
        QueueUrl: fireQueueUrl,
        MessageBody: message.body,
        DelaySeconds: BUFFER_RECHECK_SECONDS,
      }),
    );
  }
  logger.info('schedule fired', { schedule: fire.schedule, fireTime: fire.scheduledTime, ...result });
}

/**
 * Fire target of recurring schedules: EventBridge Scheduler (or the local runtime) sends each fire
 * to the fire queue; this makes its job once (fire.ts). A failed record goes back to the queue and,
 * after its receives, to the fire dead-letter queue with Scheduler's undeliverable fires.
 */
export const handler = middy((event: SQSEvent, context: Context) =>
  processPartialResponse(event, record, processor, { context }),
).use(injectLambdaContext(logger));
