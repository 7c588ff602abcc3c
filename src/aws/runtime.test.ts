import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV } from './environment/index.ts';
import { runtimeFor } from './runtime.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('runtimeFor', () => {
  it('reads the settings of its adapters from the environment it is given, not the process', () => {
    // Prepare
    vi.stubEnv(ENV.jobsTable, 'jobs-of-the-process');
    vi.stubEnv(ENV.idempotencyTable, 'keys-of-the-process');
    const given = runtimeFor({ [ENV.jobsTable]: 'jobs', [ENV.idempotencyTable]: 'keys' });
    const empty = runtimeFor({});
    // Act
    const store = () => given.store();
    const storeWithoutTables = () => empty.store();
    // Assess
    expect(store).not.toThrow();
    expect(storeWithoutTables).toThrow(new RegExp(ENV.jobsTable));
  });
});
