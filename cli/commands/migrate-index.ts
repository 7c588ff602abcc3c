import type { Command } from 'commander';
import { createDocumentClient } from '../../src/aws/clients.ts';
import { backfillStatusIndex } from '../../src/jobs/store/index.ts';
import type { CliIo } from '../cli-io.ts';

/**
 * `tailguard migrate-index --jobs-table <name>`: the middle step of the upgrade from Tailguard 0.1
 * (docs/migration.md). Talks to DynamoDB directly, with the AWS credentials of the environment.
 */
export function migrateIndexCommand(program: Command, io: CliIo): void {
  program
    .command('migrate-index')
    .description('give jobs written before 0.2 their key in the byStatusShard index (docs/migration.md)')
    .requiredOption('--jobs-table <name>', 'the jobs table (jobsTable in the stack manifest output)')
    .action(async (flags: { jobsTable: string }) => {
      const keyed = await backfillStatusIndex(createDocumentClient(), flags.jobsTable, (scanned, done) =>
        io.err(`scanned ${scanned} jobs, keyed ${done}\n`),
      );
      io.out(`${keyed} jobs keyed in the byStatusShard index\n`);
    });
}
