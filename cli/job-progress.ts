import { SingleBar } from 'cli-progress';
import type { JobView } from '../src/client/index.ts';

/**
 * A progress bar following a job: the progress its running attempt reports, its status and
 * attempt count. cli-progress draws only on a terminal, so piped output stays clean.
 */
export class JobProgressBar {
  private readonly bar: SingleBar;
  private started = false;

  constructor(stream: NodeJS.WritableStream) {
    this.bar = new SingleBar({
      stream,
      format: '{bar} {percentage}% | {status} | attempt {attempts} of {maxAttempts}',
    });
  }

  update(job: JobView): void {
    // A finished job reports no progress; a success has done all of it.
    const value = job.status === 'SUCCEEDED' ? 100 : Math.round((job.progress ?? 0) * 100);
    const payload = { status: job.status, attempts: job.attempts, maxAttempts: job.maxAttempts };
    if (this.started) this.bar.update(value, payload);
    else this.bar.start(100, value, payload);
    this.started = true;
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}

/** A bar counting many jobs through one stage (`submitted`, `finished`); drawn only on a terminal. */
export class CountProgressBar {
  private readonly bar: SingleBar;
  private started = false;

  constructor(stream: NodeJS.WritableStream, what: string) {
    this.bar = new SingleBar({ stream, format: `{bar} {value}/{total} ${what}` });
  }

  update(count: number, total: number): void {
    if (this.started) this.bar.update(count);
    else this.bar.start(total, count);
    this.started = true;
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}
