import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuSnapshot, cpuSpent } from './cpu-time.ts';

// Spins until it has spent 300 ms of CPU (not of wall time: on a busy machine that is less CPU), says so, then waits to be ended.
const SPIN =
  "const spent = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; while (spent() < 300); console.log('spun'); setInterval(() => {}, 1000);";
// Starts SPIN as its own child, unnamed, and passes on what it says.
const PARENT = `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(SPIN)}], { stdio: 'inherit' }); setInterval(() => {}, 1000);`;

describe.skipIf(!existsSync('/proc/self/stat'))('cpuSnapshot', () => {
  it("counts a descendant's CPU in the group of its nearest named ancestor", async () => {
    // Prepare: a named child whose own (unnamed) child spins.
    const groups = (commandLine: string) => (commandLine.includes('cpu-time-marker') ? 'marked' : undefined);
    const before = cpuSnapshot(groups);
    // Detached: its own process group, so the test can end the grandchild with it.
    const child = spawn(process.execPath, ['-e', PARENT, 'cpu-time-marker'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await once(child.stdout, 'data');
      // Act
      const spent = cpuSpent(before, cpuSnapshot(groups));
      // Assess: the grandchild's 300 ms are the child's group's, not `other`.
      expect(spent.marked).toBeGreaterThanOrEqual(0.2);
      expect(spent.other ?? 0).toBeLessThan(0.2);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
  });
});
