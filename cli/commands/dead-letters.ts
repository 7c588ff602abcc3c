import type { Command } from 'commander';
import type { Capacity, JobView, Priority } from '../../src/client/index.ts';
import { capacityOption, integerFrom, priorityOption } from '../arguments.ts';
import type { CommandContext } from '../command-context.ts';
import { jobLine, table } from '../format.ts';

/** The API's largest page of dead jobs. */
const MAX_PAGE = 100;

interface QueueFlags {
  capacity?: Capacity;
  priority?: Priority;
  limit?: number;
}

/** `dlq ls`, `dlq requeue`, `dlq redrive`: jobs that ended DEAD. */
export function deadLetterCommands(program: Command, cli: CommandContext): void {
  const dlq = program.command('dlq').description('dead jobs: list, requeue one, redrive a queue');

  dlq
    .command('ls')
    .description('list dead jobs, oldest first per queue')
    .addOption(capacityOption())
    .addOption(priorityOption())
    .option('--limit <n>', 'list at most this many', integerFrom(1), 25)
    .action(({ capacity, priority, limit = 25 }: QueueFlags) =>
      cli.run(async (client) => {
        const jobs: JobView[] = [];
        for await (const job of client.allDeadLetters({ capacity, priority, limit: Math.min(limit, MAX_PAGE) })) {
          jobs.push(job);
          if (jobs.length === limit) break;
        }
        cli.print(jobs, () =>
          jobs.length === 0
            ? ['no dead jobs']
            : table([
                ['id', 'type', 'queue', 'attempts', 'finished', 'error'],
                ...jobs.map((job) => [
                  job.id,
                  job.type,
                  `${job.capacity}-${job.priority}`,
                  String(job.attempts),
                  job.finishedAt ?? '-',
                  job.error ? `${job.error.name}: ${job.error.message}` : '',
                ]),
              ]),
        );
      }),
    );

  dlq
    .command('requeue')
    .description('run a dead job again with a fresh attempt budget')
    .argument('<id>', 'job id')
    .action((id: string) =>
      cli.run(async (client) => {
        const job = await client.requeue(id);
        cli.print(job, () => [`requeued: ${jobLine(job)}`]);
      }),
    );

  dlq
    .command('redrive')
    .description("requeue one queue's dead jobs and move its SQS dead-letter messages back")
    .addOption(capacityOption().makeOptionMandatory())
    .addOption(priorityOption().makeOptionMandatory())
    .option('--limit <n>', 'at most this many jobs and messages each (default 100)', integerFrom(1))
    .action(({ capacity, priority, limit }: Required<Pick<QueueFlags, 'capacity' | 'priority'>> & QueueFlags) =>
      cli.run(async (client) => {
        const result = await client.redrive({ capacity, priority, limit });
        cli.print(result, () => [
          `requeued ${result.requeued} dead jobs, moved ${result.messagesMoved} messages back from the SQS DLQ` +
            (result.remaining ? '; more remain: run it again' : ''),
        ]);
      }),
    );
}
