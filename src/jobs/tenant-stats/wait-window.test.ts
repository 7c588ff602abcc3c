import { describe, expect, it } from 'vitest';
import { mergedWaitP99, TenantWaits, WAIT_WINDOW_MS } from './wait-window.ts';

const NOW = Date.parse('2026-12-06T12:00:30.000Z');

describe('TenantWaits', () => {
  it("merges several workers' encoded waits into the p99 of all of them, within 1 %", () => {
    // Prepare: two workers; acme's waits 1..1000 ms split between them, the slow half on the second.
    const first = new TenantWaits();
    const second = new TenantWaits();
    for (let ms = 1; ms <= 1000; ms++) (ms <= 500 ? first : second).record('acme', ms, NOW);
    // Act
    const p99 = mergedWaitP99([first.encoded(20, NOW).acme!, second.encoded(20, NOW).acme!]);
    // Assess: the union's p99 is 990 ms; each worker alone would say 495 or 995.
    expect(p99).toBeGreaterThanOrEqual(990 * 0.99);
    expect(p99).toBeLessThanOrEqual(990 * 1.01);
  });

  it('forgets waits older than the window, and tenants left without any', () => {
    // Prepare
    const waits = new TenantWaits();
    waits.record('old', 5000, NOW - WAIT_WINDOW_MS - 60_000);
    waits.record('acme', 7000, NOW - WAIT_WINDOW_MS - 60_000);
    waits.record('acme', 20, NOW - 1000);
    // Act
    const encoded = waits.encoded(20, NOW);
    // Assess
    expect(Object.keys(encoded)).toEqual(['acme']);
    expect(mergedWaitP99([encoded.acme!])).toBe(20);
  });

  it('encodes only the tenants with the most starts in the window, so a report stays small', () => {
    // Prepare: 30 tenants, tenant t<n> with n starts.
    const waits = new TenantWaits();
    for (let n = 1; n <= 30; n++) for (let i = 0; i < n; i++) waits.record(`t${n}`, 100, NOW);
    // Act
    const encoded = waits.encoded(3, NOW);
    // Assess
    expect(Object.keys(encoded).sort()).toEqual(['t28', 't29', 't30']);
    expect(JSON.stringify(encoded).length).toBeLessThan(1000);
  });

  it('has no p99 for a tenant with no waits, and skips a report that does not decode', () => {
    // Prepare
    const waits = new TenantWaits();
    waits.record('acme', 42, NOW);
    // Act / Assess
    expect(mergedWaitP99([])).toBeNull();
    expect(mergedWaitP99(['not a histogram', waits.encoded(1, NOW).acme!])).toBe(42);
  });
});
