import type { ApiKind } from '../../src/aws/manifest.ts';

/**
 * AWS list prices (us-east-1, public pages, as of `asOf`) for what a job uses outside compute.
 * Check them before you budget: the counted requests and write units do not change with prices.
 */
export const AWS_PRICES = {
  asOf: '2026-11-25',
  region: 'us-east-1',
  usd: {
    apiGatewayRestPerMillionRequests: 3.5,
    apiGatewayHttpPerMillionRequests: 1.0,
    lambdaPerMillionRequests: 0.2,
    lambdaPerGbSecondArm64: 0.0000133334,
    sqsPerMillionRequests: 0.4,
    dynamoDbPerMillionWriteUnits: 0.625,
    dynamoDbPerMillionReadUnits: 0.125,
    cloudWatchLogsPerGbIngested: 0.5,
    /** S3 Standard: PUT, COPY, POST, LIST. */
    s3PerMillionPutRequests: 5,
    /** S3 Standard: GET, HEAD and the rest. */
    s3PerMillionGetRequests: 0.4,
    s3PerGbMonth: 0.023,
    /** Data out of AWS to the internet (first 10 TB a month); in-region and inbound are free. */
    dataOutPerGb: 0.09,
  },
  sources: {
    apiGateway: 'https://aws.amazon.com/api-gateway/pricing/',
    lambda: 'https://aws.amazon.com/lambda/pricing/',
    sqs: 'https://aws.amazon.com/sqs/pricing/',
    dynamoDb: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    cloudWatchLogs: 'https://aws.amazon.com/cloudwatch/pricing/',
    s3: 'https://aws.amazon.com/s3/pricing/',
  },
} as const;

/** What one job uses, per job: counted requests and units, and estimates where marked. */
export interface JobUsage {
  /** API Gateway requests (a batch of n jobs: 1/n). */
  apiRequests: number;
  /** Lambda invocations of the intake (a batch of n jobs: 1/n). */
  lambdaInvocations: number;
  /** Lambda GB-seconds of the intake (estimate). */
  lambdaGbSeconds: number;
  sqsRequests: number;
  dynamoDbWriteUnits: number;
  dynamoDbReadUnits: number;
  /** Bytes of logs and embedded metrics (estimate). */
  logBytes: number;
}

/** API Gateway's price per million requests of the intake's API kind (the construct's `api.kind`). */
export function apiGatewayPerMillionRequests(apiKind: ApiKind): number {
  const p = AWS_PRICES.usd;
  return apiKind === 'http' ? p.apiGatewayHttpPerMillionRequests : p.apiGatewayRestPerMillionRequests;
}

/**
 * US dollars per million jobs of `usage`, by item and in all, with the price of the API kind the
 * deployment uses (default `rest`, the construct's default).
 */
export function perMillionUsd(usage: JobUsage, apiKind: ApiKind = 'rest'): Record<keyof JobUsage | 'total', number> {
  const p = AWS_PRICES.usd;
  const items = {
    apiRequests: usage.apiRequests * apiGatewayPerMillionRequests(apiKind),
    lambdaInvocations: usage.lambdaInvocations * p.lambdaPerMillionRequests,
    lambdaGbSeconds: usage.lambdaGbSeconds * p.lambdaPerGbSecondArm64 * 1e6,
    sqsRequests: usage.sqsRequests * p.sqsPerMillionRequests,
    dynamoDbWriteUnits: usage.dynamoDbWriteUnits * p.dynamoDbPerMillionWriteUnits,
    dynamoDbReadUnits: usage.dynamoDbReadUnits * p.dynamoDbPerMillionReadUnits,
    logBytes: (usage.logBytes / 1e9) * p.cloudWatchLogsPerGbIngested * 1e6,
  };
  const cents = (usd: number) => Math.round(usd * 100) / 100;
  const total = Object.values(items).reduce((sum, usd) => sum + usd, 0);
  return {
    ...(Object.fromEntries(Object.entries(items).map(([k, v]) => [k, cents(v)])) as typeof items),
    total: cents(total),
  };
}

/** What a payload or result kept in the payload bucket adds to a job: S3 requests and bytes, per job. */
export interface PayloadUsage {
  s3PutRequests: number;
  s3GetRequests: number;
  /** Bytes kept in the bucket, for `retentionDays` (the lifecycle rule's expiry). */
  storedBytes: number;
  /** Bytes read out of AWS to a caller (a result fetched by its presigned URL from outside). */
  bytesOut: number;
}

/** US dollars per million jobs of `usage`: requests, storage over `retentionDays`, data out. */
export function payloadPerMillionUsd(usage: PayloadUsage, retentionDays = 30): Record<string, number> {
  const p = AWS_PRICES.usd;
  const items = {
    s3PutRequests: usage.s3PutRequests * p.s3PerMillionPutRequests,
    s3GetRequests: usage.s3GetRequests * p.s3PerMillionGetRequests,
    storage: (usage.storedBytes / 1e9) * p.s3PerGbMonth * (retentionDays / 30) * 1e6,
    dataOut: (usage.bytesOut / 1e9) * p.dataOutPerGb * 1e6,
  };
  const total = Object.values(items).reduce((sum, usd) => sum + usd, 0);
  return {
    ...Object.fromEntries(Object.entries(items).map(([k, v]) => [k, Math.round(v * 100) / 100])),
    total: Math.round(total * 100) / 100,
  };
}
