import { type Command, Option } from 'commander';
import type { JobRequestInput, JobView, TailguardClient } from '../../src/client/index.ts';
import { capacityOption, integerFrom, jsonValue, positiveSeconds, priorityOption } from '../arguments.ts';
import type { CommandContext } from '../command-context.ts';
import { jobDetails, jobLine } from '../format.ts';
import { JobProgressBar } from '../job-progress.ts';

interface SubmitFlags {
  payload?: JobRequestInput['payload'];
  priority?: JobRequestInput['priority'];
  capacity?: JobRequestInput['capacity'];
  delay?: number;
  idempotencyKey?: string;
  wait?: boolean;
  timeout?: number;
}

/** `submit`, `get`, `watch`, `cancel`: one job at a time. */
export function jobCommands(program: Command, cli: CommandContext): void {
  program
    .command('submit')
    .description('submit a job')
    .argument('<type>', 'job type, one the workers handle')
    .option('--payload <json>', 'payload, any JSON', jsonValue)
    .addOption(priorityOption())
    .addOption(capacityOption())
    .option('--delay <seconds>', 'start no sooner than this', integerFrom(0))
    .option('--idempotency-key <key>', 'submitting again with the key answers the first job')
    .option('--wait', 'wait until the job finishes and print it; exit code 1 unless it SUCCEEDED')
    .addOption(
      new Option('--timeout <seconds>', 'stop waiting after this long (implies --wait)')
        .argParser(positiveSeconds)
        .implies({ wait: true }),
    )
    .action((type: string, flags: SubmitFlags) =>
      cli.run(async (client) => {
        const { payload, priority, capacity, delay: delaySeconds, idempotencyKey } = flags;
        const submitted = await client.submit({ type, payload, priority, capacity, delaySeconds }, { idempotencyKey });
        const job = submitted.body;
        if (!flags.wait) {
          const how = submitted.status === 201 ? 'submitted' : 'already submitted with this key';
          return cli.print(job, () => [`${how}: ${jobLine(job)}`]);
        }
        const finished = await follow(cli, client, job.id, flags.timeout);
        cli.print(finished, () => jobDetails(finished));
        cli.exitFor(finished);
      }),
    );

  program
    .command('get')
    .description('show a job and its attempts')
    .argument('<id>', 'job id')
    .action((id: string) =>
      cli.run(async (client) => {
        const job = await client.get(id);
        cli.print(job, () => jobDetails(job));
      }),
    );

  program
    .command('watch')
    .description('follow a job with a progress bar until it finishes; exit code 1 unless it SUCCEEDED')
    .argument('<id>', 'job id')
    .action((id: string) =>
      cli.run(async (client) => {
        const job = await follow(cli, client, id);
        cli.print(job, () => [jobLine(job)]);
        cli.exitFor(job);
      }),
    );

  program
    .command('cancel')
    .description('cancel a job: a waiting one at once, a running one at its next heartbeat')
    .argument('<id>', 'job id')
    .action((id: string) =>
      cli.run(async (client) => {
        const job = await client.cancel(id);
        cli.print(job, () => [
          job.cancelRequested
            ? `stopping (its worker aborts it at the next heartbeat): ${jobLine(job)}`
            : `cancelled: ${jobLine(job)}`,
        ]);
      }),
    );
}

/** Waits for a job to finish, with a progress bar unless the output is JSON. */
async function follow(cli: CommandContext, client: TailguardClient, id: string, timeoutSeconds?: number) {
  const bar = cli.json ? undefined : new JobProgressBar(cli.io.progress);
  try {
    return await client.waitFor(id, {
      timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      onUpdate: (job: JobView) => bar?.update(job),
    });
  } finally {
    bar?.stop();
  }
}
