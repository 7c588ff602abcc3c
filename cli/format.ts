import type { JobView } from '../src/client/index.ts';

/** Human output: short lines and aligned tables; `--json` prints the API's answers instead. */

/** Rows as aligned columns. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

export const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

const failure = (job: JobView) => (job.error ? `${job.error.name}: ${job.error.message}` : null);

/** A job on one line: id, type, queue, status, and why it failed. */
export function jobLine(job: JobView): string {
  return [job.id, job.type, `${job.capacity}-${job.priority}`, job.status, failure(job)].filter(Boolean).join('  ');
}

/** A job in full: its fields, then one row per attempt. */
export function jobDetails(job: JobView): string[] {
  const fields: [string, string | null][] = [
    ['id', job.id],
    ['type', job.type],
    ['status', job.status],
    ['queue', `${job.capacity}-${job.priority}`],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['progress', job.progress === null ? null : percent(job.progress)],
    ['idempotency key', job.idempotencyKey],
    ['created', job.createdAt],
    ['runs at', job.runAt],
    ['schedule', job.schedule && `${job.schedule}, fire time ${job.fireTime}`],
    ['started', job.startedAt],
    ['finished', job.finishedAt],
    ['result', job.result === null ? null : JSON.stringify(job.result)],
    ['error', failure(job)],
  ];
  const lines = table(fields.flatMap(([name, value]) => (value === null ? [] : [[name, value]])));
  if (job.attemptHistory.length === 0) return lines;
  const attempts = job.attemptHistory.map((a) => [
    String(a.attempt),
    a.workerId,
    a.startedAt,
    a.finishedAt ?? '-',
    a.outcome ?? 'running',
    [a.speculative && 'backup', a.won && 'won'].filter(Boolean).join(', '),
  ]);
  return [...lines, '', ...table([['attempt', 'worker', 'started', 'finished', 'outcome', ''], ...attempts])];
}
