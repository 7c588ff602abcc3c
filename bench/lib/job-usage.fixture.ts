import type { JobUsage } from './aws-prices.ts';

/** One job per POST /jobs as the request-count test counted it before the index redesign (bench/results/cost.json). */
export const SINGLE_JOB_USAGE: JobUsage = {
  apiRequests: 1,
  lambdaInvocations: 1,
  lambdaGbSeconds: 0.02,
  sqsRequests: 3,
  dynamoDbWriteUnits: 8,
  dynamoDbReadUnits: 1,
  logBytes: 2700,
};
