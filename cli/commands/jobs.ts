import { readFile, writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { JobRequestInput, JobView, TailguardClient } from '../../src/client/index.ts';
import { integerFrom, positiveSeconds } from '../arguments.ts';
import type { CommandContext } from '../command-context.ts';
import { jobDetails, jobLine } from '../format.ts';
import { JobProgressBar } from '../job-progress.ts';
import { requestFields, requestOptions } from '../request-options.ts';

interface SubmitFlags extends Record<string, unknown> {
  delay?: number;
  payloadFile?: string;
  payloadBytes?: string;
  wait?: boolean;
  timeout?: number;
  resultOut?: string;
}

/** `submit`, `get`, `watch`, `cancel`: one job at a time. */
export function jobCommands(program: Command, cli: CommandContext): void {
  const submit = program
    .command('submit')
    .description('submit a job')
    .argument('<type>', 'job type, one the workers handle');
  for (const option of requestOptions()) submit.addOption(option);
  submit
    .addOption(new Option('--delay <seconds>').argParser(integerFrom(0)).hideHelp())
    .option('--payload-file <file>', 'payload, a JSON file (over 5 MiB it is uploaded first)')
    .option('--payload-bytes <file>', 'payload, any file, uploaded and handed to the handler as bytes')
    .option('--wait', 'wait until the job finishes and print it; exit code 1 unless it SUCCEEDED')
    .option('--result-out <file>', 'with --wait: write the result there (JSON, or the bytes of a bytes result)')
    .addOption(
      new Option('--timeout <seconds>', 'stop waiting after this long (implies --wait)')
        .argParser(positiveSeconds)
        .implies({ wait: true }),
    )
    .action((type: string, flags: SubmitFlags) =>
      cli.run(async (client) => {
        // The key goes as the Idempotency-Key header, which lets the client retry the submission.
        const { idempotencyKey, ...fields } = requestFields(flags) as Partial<JobRequestInput>;
        const request = { type, ...fields, ...(await payloadOf(client, flags)) } as JobRequestInput;
        if (flags.delay !== undefined) request.delaySeconds ??= flags.delay;
        const submitted = await client.submit(request, { idempotencyKey });
        const job = submitted.body;
        if (!flags.wait) {
          const how = submitted.status === 201 ? 'submitted' : 'already submitted with this key';
          return cli.print(job, () => [`${how}: ${jobLine(job)}`]);
        }
        const finished = await follow(cli, client, job.id, flags.timeout);
        await writeResult(client, finished, flags.resultOut);
        cli.print(finished, () => jobDetails(finished));
        cli.exitFor(finished);
      }),
    );

  program
    .command('get')
    .description('show a job and its attempts')
    .argument('<id>', 'job id')
    .option('--result-out <file>', 'write the result there (JSON, or the bytes of a bytes result), wherever it is kept')
    .action((id: string, flags: { resultOut?: string }) =>
      cli.run(async (client) => {
        const job = await client.get(id);
        await writeResult(client, job, flags.resultOut);
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

/** `--payload-file` (JSON; the client uploads it when large) or `--payload-bytes` (always uploaded, as bytes). */
async function payloadOf(client: TailguardClient, flags: SubmitFlags): Promise<Partial<JobRequestInput>> {
  if (flags.payloadFile !== undefined) return { payload: JSON.parse(await readFile(flags.payloadFile, 'utf8')) };
  if (flags.payloadBytes !== undefined) return { payloadRef: await client.upload(await readFile(flags.payloadBytes)) };
  return {};
}

/** Writes a succeeded job's result to `file`: fetched from its presigned URL when the job does not hold it. */
async function writeResult(client: TailguardClient, job: JobView, file: string | undefined): Promise<void> {
  if (file === undefined || job.status !== 'SUCCEEDED') return;
  const result = await client.result(job);
  await writeFile(file, result instanceof Uint8Array ? result : `${JSON.stringify(result)}\n`);
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
