import { describe, expect, it } from 'vitest';
import { perUnit, stepUsage, workflowIntakeEstimate } from './workflow-cost.ts';

describe('workflow cost', () => {
  it('divides the counted usage per step, to a hundredth', () => {
    // Act
    const usage = perUnit(
      {
        byOperation: { UpdateItem: 10, SendMessage: 2 },
        requests: 12,
        sqsRequests: 2,
        writeUnits: 20,
        readUnits: 1,
        awaitedMs: 100,
      },
      3,
    );
    // Assess
    expect(usage).toEqual({
      byOperation: { UpdateItem: 3.33, SendMessage: 0.67 },
      requests: 4,
      sqsRequests: 0.67,
      writeUnits: 6.67,
      readUnits: 0.33,
      awaitedMs: 33.33,
    });
  });

  it("estimates the intake's requests and units from a workflow's steps and roots", () => {
    // A diamond: one batch write of 4 steps, the workflow, and its root a's submit and move.
    expect(workflowIntakeEstimate({ declared: 4, roots: 1 })).toEqual({ requests: 7, sqsRequests: 2, writeUnits: 8 });
    // A split: one declared step; its spawn's steps are the worker's.
    expect(workflowIntakeEstimate({ declared: 1, roots: 1 }).writeUnits).toBe(5);
    // 26 steps take two batch writes.
    expect(workflowIntakeEstimate({ declared: 26, roots: 2 }).requests).toBe(13);
  });

  it("prices a step as the workers' counted share plus the intake's estimated one spread over the steps", () => {
    // Act
    const usage = stepUsage(
      { byOperation: {}, requests: 9, sqsRequests: 3, writeUnits: 10, readUnits: 1.5, awaitedMs: 0 },
      { steps: 4, declared: 4, roots: 1 },
      { submitGbSeconds: 0.02, lambdaLogBytesPerInvocation: 700, workerLogBytesPerJob: 400 },
    );
    // Assess
    expect(usage).toEqual({
      apiRequests: 0.25,
      lambdaInvocations: 0.25,
      lambdaGbSeconds: 0.005,
      sqsRequests: 3.5,
      dynamoDbWriteUnits: 12,
      dynamoDbReadUnits: 1.5,
      logBytes: 575,
    });
  });
});
