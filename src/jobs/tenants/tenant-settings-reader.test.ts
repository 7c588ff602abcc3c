import { describe, expect, it, vi } from 'vitest';
import { TenantSettingsReader } from './tenant-settings-reader.ts';

describe('TenantSettingsReader', () => {
  const config = { overrides: { acme: { weight: 3 } } };

  it('reads a tenant once per cache period, and sees a change after it', async () => {
    // Prepare
    let now = 0;
    const stored = vi.fn(async () => ({ concurrency: 2 }));
    const reader = new TenantSettingsReader(config, { get: stored }, { cacheMs: 5000, now: () => now });

    // Act
    const first = await reader.get('acme');
    now = 4999;
    const cached = await reader.get('acme');
    stored.mockResolvedValue({ concurrency: 4 });
    now = 5000;
    const changed = await reader.get('acme');

    // Assess
    expect(first).toEqual({ weight: 3, concurrency: 2 });
    expect(cached).toEqual(first);
    expect(changed).toEqual({ weight: 3, concurrency: 4 });
    expect(stored).toHaveBeenCalledTimes(2);
  });

  it('keeps the last settings read when a read fails, and throws only when it has none', async () => {
    // Prepare
    let now = 0;
    const stored = vi.fn(async () => ({ concurrency: 2 }));
    const reader = new TenantSettingsReader(config, { get: stored }, { cacheMs: 10, now: () => now });
    await reader.get('acme');
    stored.mockRejectedValue(new Error('throttled'));
    now = 100;

    // Act / Assess
    await expect(reader.get('acme')).resolves.toEqual({ weight: 3, concurrency: 2 });
    await expect(reader.get('other')).rejects.toThrow('throttled');
  });
});
