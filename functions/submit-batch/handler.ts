import { Metrics } from '@aws-lambda-powertools/metrics';
import { runtime } from '../../src/aws/runtime.ts';
import { toJobView } from '../../src/contract/job-view.ts';
import {
  type BatchOutcome,
  JobBatchEnvelopeSchema,
  MAX_BATCH_BYTES,
  submitBatch,
} from '../../src/jobs/intake/index.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE } from '../../src/jobs/metrics/index.ts';
import { InvalidInputError, type Job } from '../../src/jobs/model/index.ts';
import { errorAnswer, header, httpHandler, json, logger } from '../http/http-handler.ts';
import { parseJobRequest } from '../http/job-request.ts';
import { jsonObjectBody } from '../http/json-body.ts';

const metrics = new JobMetricsRecorder(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tailguard' }));

/**
 * `POST /jobs/batch`: up to 1,000 `POST /jobs` bodies at once. Answers 200 with one result per
 * job, in order, each the status and body `POST /jobs` would have answered it alone; only a batch
 * that is not one (not JSON, no `jobs`, too many, too large) is refused whole.
 */
export const handler = httpHandler(async (event) => {
  if (header(event, 'Idempotency-Key') !== undefined) {
    throw new InvalidInputError([
      { path: 'Idempotency-Key', message: 'a batch has no key of its own: give each job its idempotencyKey' },
    ]);
  }
  const envelope = JobBatchEnvelopeSchema.safeParse(jsonObjectBody(event, MAX_BATCH_BYTES));
  if (!envelope.success) throw InvalidInputError.fromZod(envelope.error);

  const parsed = envelope.data.jobs.map((item) => {
    try {
      return parseJobRequest(item);
    } catch (error) {
      return error as Error;
    }
  });
  const valid = parsed.flatMap((item) => (item instanceof Error ? [] : [item]));
  const submitted = await submitBatch(
    {
      store: runtime.store(),
      dispatcher: runtime.dispatcher(),
      queuedCap: runtime.queuedCounts(),
      fairness: runtime.fairness(),
      log: logger,
    },
    valid,
  );
  let next = 0;
  const outcomes = parsed.map((item): BatchOutcome => (item instanceof Error ? { error: item } : submitted[next++]!));
  countSubmitted(outcomes);
  return json(200, { items: outcomes.map(toItem) });
});

/** One result as `POST /jobs` would have answered it: its status, and the job or the error. */
function toItem(outcome: BatchOutcome) {
  if ('job' in outcome) return { status: outcome.replayed ? 200 : 201, job: toJobView(outcome.job) };
  const { status, body } = errorAnswer(outcome.error);
  return { status, error: body.error };
}

/** One metric per class and priority, as many single submits would have added up to. */
function countSubmitted(outcomes: BatchOutcome[]): void {
  const groups = new Map<string, { job: Job; count: number }>();
  for (const outcome of outcomes) {
    if (!('job' in outcome) || outcome.replayed) continue;
    const key = `${outcome.job.capacity}#${outcome.job.priority}`;
    const group = groups.get(key) ?? { job: outcome.job, count: 0 };
    groups.set(key, { ...group, count: group.count + 1 });
  }
  for (const { job, count } of groups.values()) metrics.submitted(job, count);
}
