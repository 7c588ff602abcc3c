/**
 * AWS limits a job's requests count against (per account and region, public pages, as of `asOf`).
 * The partition limit is fixed; the others are default quotas that a quota request raises.
 */
export const AWS_LIMITS = {
  asOf: '2026-11-25',
  /** Writes per second one DynamoDB partition takes, so at best what one partition key value takes. */
  partitionWriteUnitsPerSecond: 1000,
  /** On-demand table default quota, which the table and each of its GSIs get on their own. */
  tableWriteUnitsPerSecond: 40_000,
  tableReadUnitsPerSecond: 40_000,
  /** Concurrent Lambda executions, shared by every function in the account and region. */
  lambdaConcurrency: 1000,
  /** API Gateway REST APIs: requests per second across the account's APIs in a region. */
  apiGatewayRequestsPerSecond: 10_000,
  sources: {
    dynamoDbPartitions: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html',
    dynamoDbQuotas: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    lambda: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    apiGateway: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
  },
} as const;
