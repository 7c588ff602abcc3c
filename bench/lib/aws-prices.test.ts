import { describe, expect, it } from 'vitest';
import { perMillionUsd } from './aws-prices.ts';

describe('perMillionUsd', () => {
  it('prices a million jobs item by item at the dated list prices', () => {
    const usd = perMillionUsd({
      apiRequests: 1,
      lambdaInvocations: 1,
      lambdaGbSeconds: 0.02,
      sqsRequests: 3,
      dynamoDbWriteUnits: 8,
      dynamoDbReadUnits: 1,
      logBytes: 2700,
    });
    expect(usd).toEqual({
      apiRequests: 3.5,
      lambdaInvocations: 0.2,
      lambdaGbSeconds: 0.27,
      sqsRequests: 1.2,
      dynamoDbWriteUnits: 5,
      dynamoDbReadUnits: 0.13,
      logBytes: 1.35,
      total: 11.64,
    });
  });
});
