import { describe, expect, it } from 'vitest';
import { hostPaceProbe } from './pace-probe.ts';

describe('hostPaceProbe', () => {
  it('reads a positive time in milliseconds, the same work each time', () => {
    const readings = [hostPaceProbe(), hostPaceProbe()];
    for (const ms of readings) {
      expect(ms).toBeGreaterThan(0);
      // A fixed megabyte of hashing: far below a heartbeat interval even on a slow, busy core.
      expect(ms).toBeLessThan(1000);
    }
  });
});
