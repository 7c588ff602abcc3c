import type { JobUsage } from './aws-prices.ts';
import type { RequestUsage } from './request-trace.ts';

/** A workflow's shape as its cost counts it. */
export interface WorkflowShape {
  /** Every step, spawned ones included: what the cost is spread over. */
  steps: number;
  /** The steps of its `POST /workflows` request (a spawn's are written by the worker that spawned them). */
  declared: number;
  roots: number;
}

const hundredths = (n: number) => Math.round(n * 100) / 100;

/** Usage over `count` (steps, jobs): each figure divided, to a hundredth. */
export function perUnit(usage: RequestUsage, count: number): RequestUsage {
  return {
    byOperation: Object.fromEntries(Object.entries(usage.byOperation).map(([op, n]) => [op, hundredths(n / count)])),
    requests: hundredths(usage.requests / count),
    sqsRequests: hundredths(usage.sqsRequests / count),
    writeUnits: hundredths(usage.writeUnits / count),
    readUnits: hundredths(usage.readUnits / count),
    awaitedMs: hundredths(usage.awaitedMs / count),
  };
}

/**
 * What one `POST /workflows` costs inside its Lambda, where no trace reaches: counted from its code
 * path (createWorkflow), not measured. The steps in batch writes of 25, the workflow's item, and
 * per root what `submitJob` does (the message and its check, the job, its place in its tenant's
 * window) and the step's move to STARTED. Every item under 1 KB: one write unit a write.
 */
export function workflowIntakeEstimate({ declared, roots }: Pick<WorkflowShape, 'declared' | 'roots'>): {
  requests: number;
  sqsRequests: number;
  writeUnits: number;
} {
  return {
    requests: Math.ceil(declared / 25) + 1 + roots * 5,
    sqsRequests: roots * 2,
    writeUnits: declared + 1 + roots * 3,
  };
}

/** Estimates cost.json keeps beside its counts (request-count.test.ts), and a worker's log bytes per job. */
export interface UsageEstimates {
  submitGbSeconds: number;
  lambdaLogBytesPerInvocation: number;
  workerLogBytesPerJob: number;
}

/**
 * One step's usage as cost.json prices a job's: the workers' share counted (`workers`, per step),
 * the intake's (one API request and invocation per workflow) estimated and spread over its steps.
 */
export function stepUsage(workers: RequestUsage, shape: WorkflowShape, estimates: UsageEstimates): JobUsage {
  const intake = workflowIntakeEstimate(shape);
  const share = (n: number) => Math.round((n / shape.steps) * 1e4) / 1e4;
  const tenThousandths = (n: number) => Math.round(n * 1e4) / 1e4;
  return {
    apiRequests: share(1),
    lambdaInvocations: share(1),
    lambdaGbSeconds: share(estimates.submitGbSeconds),
    sqsRequests: tenThousandths(workers.sqsRequests + intake.sqsRequests / shape.steps),
    dynamoDbWriteUnits: tenThousandths(workers.writeUnits + intake.writeUnits / shape.steps),
    dynamoDbReadUnits: workers.readUnits,
    logBytes: Math.round(estimates.workerLogBytesPerJob + estimates.lambdaLogBytesPerInvocation / shape.steps),
  };
}
