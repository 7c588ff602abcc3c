import { Command, Option } from 'commander';
import { type CliIo, processIo } from './cli-io.ts';
import { CommandContext } from './command-context.ts';
import { batchCommand } from './commands/batch.ts';
import { dashboardCommand } from './commands/dashboard.ts';
import { deadLetterCommands } from './commands/dead-letters.ts';
import { devCommand } from './commands/dev.ts';
import { jobListCommand } from './commands/job-list.ts';
import { jobCommands } from './commands/jobs.ts';
import { migrateIndexCommand } from './commands/migrate-index.ts';
import { operationCommands } from './commands/operations.ts';
import { scheduleCommands } from './commands/schedules.ts';
import { tenantCommands } from './commands/tenants.ts';
import { workflowCommands } from './commands/workflows.ts';
import { AUTH_MODES, LOCAL_STATE_FILE } from './connection.ts';

/** The `tailguard` CLI: global options, then each command group adds its commands. */
export function buildProgram(io: CliIo = processIo()): Command {
  const program = new Command('tailguard')
    .description('Submit, follow and operate Tailguard jobs')
    // Set before any command is added, as commands copy them: failures throw a CommanderError with
    // the exit code instead of exiting (main.ts sets it), and all output goes through `io`.
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .option('--api <url>', `API stage URL (default: $TAILGUARD_API, else apiUrl in ${LOCAL_STATE_FILE})`)
    .option('--region <region>', 'region to sign for (default: the one in the URL, else $AWS_REGION, else us-east-1)')
    .addOption(
      new Option('--auth <mode>', 'default: $TAILGUARD_AUTH, else iam; api-key sends $TAILGUARD_API_KEY').choices(
        AUTH_MODES,
      ),
    )
    .option('--json', 'print the API’s answers as JSON');
  const cli = new CommandContext(program, io);
  jobCommands(program, cli);
  jobListCommand(program, cli);
  batchCommand(program, cli);
  deadLetterCommands(program, cli);
  operationCommands(program, cli);
  scheduleCommands(program, cli);
  tenantCommands(program, cli);
  workflowCommands(program, cli);
  dashboardCommand(program, cli);
  devCommand(program, io);
  migrateIndexCommand(program, io);
  return program;
}
