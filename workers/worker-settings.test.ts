import { describe, expect, it } from 'vitest';
import { ENV } from '../src/aws/environment/index.ts';
import { resolveSettings } from './worker-settings.ts';

describe('resolveSettings', () => {
  it('reads what the options leave out from the environment given, not the process', () => {
    // Prepare
    const env = { [ENV.workerConcurrency]: '12', [ENV.workerCapacity]: 'gpu' };
    // Act
    const settings = resolveSettings({}, env);
    // Assess
    expect(settings).toMatchObject({ concurrency: 12, capacity: 'gpu' });
  });

  it('lets an option win over its variable, while an option left undefined hides nothing', () => {
    // Prepare
    const env = { [ENV.workerConcurrency]: '12', [ENV.workerCapacity]: 'gpu' };
    // Act
    const settings = resolveSettings({ concurrency: 2, capacity: undefined }, env);
    // Assess
    expect(settings).toMatchObject({ concurrency: 2, capacity: 'gpu' });
  });

  it('names the worker after its class and process unless given an id', () => {
    // Act
    const named = resolveSettings({ workerId: 'w-7' }, {});
    const unnamed = resolveSettings({}, { [ENV.workerCapacity]: 'gpu' });
    // Assess
    expect(named.workerId).toBe('w-7');
    expect(unnamed.workerId).toMatch(new RegExp(`^gpu-.+-${process.pid}-[0-9a-f]{8}$`));
  });
});
