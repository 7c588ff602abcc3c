import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { readEnvironment } from '../../src/aws/environment/index.ts';
import { runtime } from '../../src/aws/runtime.ts';
import { ScheduledStartSchema, StartScheduler } from '../../src/jobs/dispatch/index.ts';

const logger = new Logger({ serviceName: 'tailguard' });
const processor = new BatchProcessor(EventType.SQS);
const env = readEnvironment('startScheduler');
const scheduler = new StartScheduler({
  sqs: runtime.sqs(),
  scheduler: runtime.scheduler(),
  topology: runtime.topology(),
  schedulerQueue: { url: env.dispatch.schedulerQueueUrl, arn: env.startScheduler.queueArn },
  checksQueueUrl: env.dispatch.checksQueueUrl,
  roleArn: env.startScheduler.roleArn,
  groupName: env.schedules.groupName,
});

async function record(message: SQSRecord): Promise<void> {
  const request = ScheduledStartSchema.parse(JSON.parse(message.body));
  const outcome = await scheduler.handle(request);
  logger.info('scheduled start handled', {
    jobId: request.jobId,
    notBefore: new Date(request.notBefore).toISOString(),
    outcome,
  });
}

/**
 * Start scheduler: turns scheduled starts (retries and delayed jobs beyond SQS's 15 minutes) into
 * one-time EventBridge Scheduler schedules, and due ones into delayed job messages. Failed records
 * are reported back individually so SQS retries only those.
 */
export const handler = middy((event: SQSEvent, context: Context) =>
  processPartialResponse(event, record, processor, { context }),
).use(injectLambdaContext(logger));
