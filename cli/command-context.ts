import { type Command, CommanderError } from 'commander';
import { type CreateClientOptions, createClient, type JobView, type TailguardClient } from '../src/client/index.ts';
import { describeError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { type ConnectionFlags, resolveConnection } from './connection.ts';

export interface GlobalFlags extends ConnectionFlags {
  json?: boolean;
}

/** What every command shares: the client the global options select, output, and how failures end a command. */
export class CommandContext {
  constructor(
    private readonly program: Command,
    readonly io: CliIo,
  ) {}

  get json(): boolean {
    return this.program.opts<GlobalFlags>().json === true;
  }

  /**
   * Runs a command against the selected API. Any failure is printed as `code: message` lines and
   * ends the command with exit code 1, through commander so that tests see it as main.ts does.
   */
  async run(work: (client: TailguardClient) => Promise<void>): Promise<void> {
    try {
      await work(createClient(this.connection()));
    } catch (error) {
      if (error instanceof CommanderError) throw error;
      this.program.error(describeError(error).join('\n'), { exitCode: 1, code: 'tailguard.failed' });
    }
  }

  /** Which API the global options select, and how requests to it are authorized. */
  connection(): CreateClientOptions {
    return resolveConnection(this.program.opts<GlobalFlags>(), this.io);
  }

  /** Prints an answer: as JSON with `--json`, else as the human lines. */
  print(value: unknown, human: () => string[]): void {
    this.io.out(`${this.json ? JSON.stringify(value, null, 2) : human().join('\n')}\n`);
  }

  /** A finished job sets the exit code: 0 when it SUCCEEDED, 1 when it ended DEAD or CANCELLED. */
  exitFor(job: JobView): void {
    this.exitUnless(job.status === 'SUCCEEDED', `job ${job.id} ended ${job.status}`, 'tailguard.jobNotSucceeded');
  }

  /** Ends the command with exit code 1 and `message` unless `ok`, after its answer was printed. */
  exitUnless(ok: boolean, message: string, code: string): void {
    if (!ok) this.program.error(message, { exitCode: 1, code });
  }
}
