import { describe, expect, it, vi } from 'vitest';
import { windowFollowUp } from './window-follow-up.ts';

describe('window follow-up', () => {
  it('resolves quietly whether the bookkeeping worked, failed or was not needed, and logs only the failure', async () => {
    // Prepare
    const log = { warn: vi.fn() };
    // Act
    await windowFollowUp(log, 'releasing after a hold', Promise.resolve(3));
    await windowFollowUp(log, 'releasing after a hold', undefined);
    await windowFollowUp(log, 'releasing after a hold', Promise.reject(new Error('throttled')));
    // Assess
    expect(log.warn).toHaveBeenCalledOnce();
    expect(log.warn).toHaveBeenCalledWith('releasing after a hold failed; window leases and the reaper repair it', {
      error: new Error('throttled'),
    });
  });

  it('swallows a failure without a log: the caller’s answer must not depend on it', async () => {
    await expect(
      windowFollowUp(undefined, 'uncounting a hold', Promise.reject(new Error('x'))),
    ).resolves.toBeUndefined();
  });
});
