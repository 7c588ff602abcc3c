import type { JobUsage } from './aws-prices.ts';

/** One job per POST /jobs as the request-count test counted it (bench/results/cost.json, `usagePerJob.single`). */
export const SINGLE_JOB_USAGE: JobUsage = {
  apiRequests: 1,
  lambdaInvocations: 1,
  lambdaGbSeconds: 0.02,
  sqsRequests: 3,
  dynamoDbWriteUnits: 3,
  dynamoDbReadUnits: 0,
  logBytes: 1101,
};
