import type { Command } from 'commander';
import type { Capacity, JobListQuery, JobView, Priority } from '../../src/client/index.ts';
import { LISTED_STATUSES } from '../../src/jobs/admin/index.ts';
import { capacityOption, integerFrom, priorityOption } from '../arguments.ts';
import type { CommandContext } from '../command-context.ts';
import { table } from '../format.ts';

/** The API's largest page of jobs. */
const MAX_PAGE = 100;

interface ListFlags {
  status?: JobListQuery['status'];
  schedule?: string;
  tenant?: string;
  capacity?: Capacity;
  priority?: Priority;
  limit?: number;
}

/** `jobs ls`: the jobs in one state, or of one schedule, of one tenant or all (`GET /jobs`). */
export function jobListCommand(program: Command, cli: CommandContext): void {
  program
    .command('jobs')
    .description('list jobs')
    .command('ls')
    .description('list the jobs in one state (--status) or of one recurring schedule (--schedule)')
    .option(`--status <status>`, LISTED_STATUSES.join(', '))
    .option('--schedule <name>', "a recurring schedule's jobs, newest fire first")
    .option('--tenant <id>', "only this tenant's jobs")
    .addOption(capacityOption())
    .addOption(priorityOption())
    .option('--limit <n>', 'list at most this many', integerFrom(1), 25)
    .action(({ limit = 25, ...query }: ListFlags) =>
      cli.run(async (client) => {
        const jobs: JobView[] = [];
        for await (const job of client.allJobs({ ...query, limit: Math.min(limit, MAX_PAGE) })) {
          jobs.push(job);
          if (jobs.length === limit) break;
        }
        cli.print(jobs, () =>
          jobs.length === 0
            ? ['no jobs']
            : table([
                ['id', 'type', 'tenant', 'queue', 'status', 'attempts', 'created'],
                ...jobs.map((job) => [
                  job.id,
                  job.type,
                  job.tenant,
                  `${job.capacity}-${job.priority}`,
                  job.status,
                  String(job.attempts),
                  job.createdAt,
                ]),
              ]),
        );
      }),
    );
}
