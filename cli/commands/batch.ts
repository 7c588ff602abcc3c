import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { BatchItemView, JobRequestInput, JobView, TailguardClient } from '../../src/client/index.ts';
import { positiveSeconds } from '../arguments.ts';
import { CliError } from '../cli-error.ts';
import type { CommandContext } from '../command-context.ts';
import { table } from '../format.ts';
import { CountProgressBar } from '../job-progress.ts';

interface BatchFlags {
  wait?: boolean;
  timeout?: number;
}

/** `batch`: many jobs from a JSON Lines file through `POST /jobs/batch`. */
export function batchCommand(program: Command, cli: CommandContext): void {
  program
    .command('batch')
    .description(
      'submit every job of a JSON Lines file (one POST /jobs body a line) in batches of up to 1,000; exit code 1 if any was refused',
    )
    .argument('<file>', 'the JSON Lines file; - reads standard input')
    .option('--wait', 'then wait until every job finishes; exit code 1 unless all SUCCEEDED')
    .addOption(
      new Option('--timeout <seconds>', 'stop waiting after this long (implies --wait)')
        .argParser(positiveSeconds)
        .implies({ wait: true }),
    )
    .action((file: string, flags: BatchFlags) =>
      cli.run(async (client) => {
        const requests = readJsonLines(file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8'));
        const results = await withBar(cli, 'submitted', (onProgress) => client.submitBatch(requests, { onProgress }));
        const accepted = results.flatMap((result) => ('job' in result ? [result.job.id] : []));
        const finished = flags.wait ? await waitForAll(cli, client, accepted, flags.timeout) : undefined;
        cli.print(finished ? { items: results, jobs: finished } : { items: results }, () => [
          ...submittedLines(results),
          ...(finished ? finishedLines(finished) : []),
        ]);
        const refused = results.length - accepted.length;
        const unsuccessful = finished?.filter((job) => job.status !== 'SUCCEEDED').length ?? 0;
        if (refused > 0 || unsuccessful > 0) {
          const why = [refused > 0 && `${refused} refused`, unsuccessful > 0 && `${unsuccessful} did not succeed`];
          throw new CliError('tailguard.batchIncomplete', why.filter(Boolean).join(', '));
        }
      }),
    );
}

/** One job request a non-empty line; a line that is not a JSON object stops the command before anything is sent. */
export function readJsonLines(text: string): JobRequestInput[] {
  const requests: JobRequestInput[] = [];
  const bad: { path: string; message: string }[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      const value: unknown = JSON.parse(line);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
      requests.push(value as JobRequestInput);
    } catch (error) {
      bad.push({ path: `line ${index + 1}`, message: (error as Error).message });
    }
  });
  if (bad.length > 0) throw new CliError('INVALID_JSON_LINES', `${bad.length} line(s) are not job requests`, bad);
  if (requests.length === 0) throw new CliError('INVALID_JSON_LINES', 'the file holds no job requests');
  return requests;
}

async function waitForAll(
  cli: CommandContext,
  client: TailguardClient,
  ids: string[],
  timeoutSeconds: number | undefined,
): Promise<JobView[]> {
  const timeoutMs = timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000;
  return withBar(cli, 'finished', (onProgress) => client.waitForAll(ids, { timeoutMs, onProgress }));
}

/** Runs `work` with a count bar on the progress stream, unless the output is JSON. */
async function withBar<T>(
  cli: CommandContext,
  what: string,
  work: (onProgress: (count: number, total: number) => void) => Promise<T>,
): Promise<T> {
  const bar = cli.json ? undefined : new CountProgressBar(cli.io.progress, what);
  try {
    return await work((count, total) => bar?.update(count, total));
  } finally {
    bar?.stop();
  }
}

function submittedLines(results: BatchItemView[]): string[] {
  const count = (status: number) => results.filter((r) => r.status === status).length;
  const refused = results.flatMap((result, index) =>
    'error' in result ? [[`line ${index + 1}`, String(result.status), result.error.code, result.error.message]] : [],
  );
  return [
    `${results.length} jobs: ${count(201)} submitted, ${count(200)} already submitted with their key, ${refused.length} refused`,
    ...table(refused),
  ];
}

function finishedLines(jobs: JobView[]): string[] {
  const byStatus = new Map<string, number>();
  for (const job of jobs) byStatus.set(job.status, (byStatus.get(job.status) ?? 0) + 1);
  return [`${jobs.length} finished: ${[...byStatus].map(([status, n]) => `${n} ${status}`).join(', ')}`];
}
