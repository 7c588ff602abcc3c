import { describe, expect, it } from 'vitest';
import { perMillionUsd } from './aws-prices.ts';
import { SINGLE_JOB_USAGE } from './job-usage.fixture.ts';

describe('perMillionUsd', () => {
  it('prices a million jobs item by item at the dated list prices', () => {
    const usd = perMillionUsd(SINGLE_JOB_USAGE);
    expect(usd).toEqual({
      apiRequests: 3.5,
      lambdaInvocations: 0.2,
      lambdaGbSeconds: 0.27,
      sqsRequests: 1.2,
      dynamoDbWriteUnits: 1.88,
      dynamoDbReadUnits: 0,
      logBytes: 0.55,
      total: 7.59,
    });
  });

  it("prices the API request at the HTTP API's price with apiKind 'http', the rest unchanged", () => {
    const rest = perMillionUsd(SINGLE_JOB_USAGE);
    const http = perMillionUsd(SINGLE_JOB_USAGE, 'http');
    expect(perMillionUsd(SINGLE_JOB_USAGE, 'rest')).toEqual(rest);
    expect(http.apiRequests).toBe(1);
    expect(http.total).toBeCloseTo(rest.total - 2.5, 2);
    expect({ ...http, apiRequests: 0, total: 0 }).toEqual({ ...rest, apiRequests: 0, total: 0 });
  });
});
