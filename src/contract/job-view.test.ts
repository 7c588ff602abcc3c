import { describe, expect, it } from 'vitest';
import { jobView } from '../client/testing/fake-api.ts';
import type { Lease } from '../jobs/model/index.ts';

const lease = (progress?: number): Lease => ({ workerId: 'w', attempt: 1, startedAt: 0, expiresAt: 1, progress });

describe('toJobView progress', () => {
  it('shows the furthest progress the running attempts reported, a backup racing a straggler included', () => {
    expect(jobView({ status: 'RUNNING', leases: { straggler: lease(0.3), backup: lease(0.7) } }).progress).toBe(0.7);
  });

  it('is null while no attempt runs or none has reported', () => {
    expect(jobView({ status: 'QUEUED' }).progress).toBeNull();
    expect(jobView({ status: 'RUNNING', leases: { only: lease() } }).progress).toBeNull();
  });
});

describe('toJobView workflow', () => {
  it("names a step's workflow and step, and none for a job of POST /jobs", () => {
    // Prepare
    const workflow = { id: '9a1c3a9e-8d2b-4c6a-9e1f-2b3c4d5e6f70', step: 'b', parents: { a: 'j-a' } };
    // Act
    const views = [jobView({ workflow }), jobView()];
    // Assess
    expect(views.map((view) => view.workflow)).toEqual([{ id: workflow.id, step: 'b' }, null]);
  });
});
