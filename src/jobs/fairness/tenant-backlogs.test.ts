import { describe, expect, it } from 'vitest';
import { NOW } from '../../../test/helpers/store-fixtures.ts';
import type { TenantWindows } from '../store/index.ts';
import { TenantBacklogs } from './tenant-backlogs.ts';

describe('TenantBacklogs', () => {
  it('answers each tenant’s waiting jobs per queue: live places and held jobs, idle windows left out', async () => {
    // Prepare
    const windows = {
      list: async () =>
        [
          { capacity: 'cpu', priority: 'default', tenant: 'acme', holders: { a: NOW + 1, b: NOW - 1 }, held: 7 },
          { capacity: 'gpu', priority: 'low', tenant: 'idle', holders: {}, held: 0 },
        ] as const,
    };
    // Act
    const backlogs = await new TenantBacklogs(windows as unknown as TenantWindows, () => NOW).list();
    // Assess: b's lease has ended.
    expect(backlogs).toEqual([{ tenant: 'acme', capacity: 'cpu', priority: 'default', queued: 8, held: 7 }]);
  });

  it('adds a tenant’s waiting jobs over its queues', async () => {
    // Prepare
    const windows = {
      list: async () =>
        [
          { capacity: 'cpu', priority: 'default', tenant: 'acme', holders: { a: NOW + 1 }, held: 2 },
          { capacity: 'gpu', priority: 'high', tenant: 'acme', holders: {}, held: 4 },
          { capacity: 'cpu', priority: 'low', tenant: 'beta', holders: { b: NOW + 1 }, held: 0 },
        ] as const,
    };
    // Act
    const queued = await new TenantBacklogs(windows as unknown as TenantWindows, () => NOW).queuedByTenant();
    // Assess
    expect(queued).toEqual({ acme: 7, beta: 1 });
  });
});
