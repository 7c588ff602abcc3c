import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { runtime } from '../../src/aws/runtime.ts';
import { queueAddress } from '../../src/jobs/dispatch/index.ts';
import { httpHandler, json, logger } from '../http/http-handler.ts';

/** `GET /health`: 200 when the jobs table and the queues answer, 503 naming what did not. */
export const handler = httpHandler(async () => {
  const check = async (probe: () => Promise<unknown>) => {
    try {
      await probe();
      return 'ok';
    } catch (error) {
      logger.error('health check failed', { error: error as Error });
      return 'failing';
    }
  };
  const [jobsTable, queues] = await Promise.all([
    check(() => runtime.store().get('00000000-0000-4000-8000-000000000000')),
    check(() =>
      runtime.sqs().send(
        new GetQueueAttributesCommand({
          QueueUrl: queueAddress(runtime.topology(), 'cpu-default').url,
          AttributeNames: ['QueueArn'],
        }),
      ),
    ),
  ]);
  const healthy = jobsTable === 'ok' && queues === 'ok';
  return json(healthy ? 200 : 503, { status: healthy ? 'ok' : 'degraded', checks: { jobsTable, queues } });
});
