import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Names a process by its command line, or leaves it to its parent's group (undefined). */
export type ProcessGroups = (commandLine: string) => string | undefined;

/**
 * CPU seconds used so far by this process (group `self`) and by its descendants, each counted in
 * the group of its nearest named ancestor-or-self, children it has reaped included. Linux only
 * (/proc); elsewhere just `self`. Where the cores of a shared machine go during a run: take one
 * snapshot before and one after, and subtract (`cpuSpent`).
 */
export function cpuSnapshot(groups: ProcessGroups): Record<string, number> {
  const usage = process.cpuUsage();
  const totals: Record<string, number> = { self: (usage.user + usage.system) / 1e6 };
  if (!existsSync('/proc/self/stat')) return totals;
  const processes = new Map<number, { parent: number; seconds: number; group: string | undefined }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      // Fields after the command name, which may hold spaces: state ppid … utime(14) stime cutime cstime.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      processes.set(pid, { parent: Number(fields[1]), seconds: ticks / clockTicks(), group: groups(commandLine) });
    } catch {
      // Exited while we looked.
    }
  }
  for (const [pid, info] of processes) {
    if (pid === process.pid) continue;
    let group = info.group;
    let ancestor = info.parent;
    while (ancestor !== process.pid) {
      const up = processes.get(ancestor);
      if (!up) break;
      group ??= up.group;
      ancestor = up.parent;
    }
    if (ancestor !== process.pid) continue;
    const name = group ?? 'other';
    totals[name] = (totals[name] ?? 0) + info.seconds;
  }
  return totals;
}

/**
 * The local stack's processes, apart: the Lambda runtimes MiniStack starts (their command names
 * their temp folder), MiniStack itself (API Gateway, SQS, DynamoDB), and the worker processes;
 * the rest of the bench's own process (load generator, baseline loop) is `self`.
 */
export function stackProcessGroups(commandLine: string): string | undefined {
  if (commandLine.includes('ministack-lambda-')) return 'lambda';
  if (commandLine.includes('ministack')) return 'emulator';
  if (commandLine.includes('demo/worker/main.ts')) return 'workers';
  return undefined;
}

/** CPU seconds each group spent between two snapshots. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([group, seconds]) => [group, seconds - (before[group] ?? 0)]));
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return ticksPerSecond;
}
