import type { Command } from 'commander';
import { integerFrom } from '../arguments.ts';
import type { CommandContext } from '../command-context.ts';
import { DEFAULT_DASHBOARD_PORT, startDashboard } from '../dashboard/dashboard-server.ts';

/**
 * `tailguard dashboard`: the live dashboard on 127.0.0.1, talking to the selected API with the
 * CLI's own credentials, until Ctrl-C.
 */
export function dashboardCommand(program: Command, cli: CommandContext): void {
  program
    .command('dashboard')
    .description('serve a live dashboard of queues, workers, running and dead jobs on 127.0.0.1')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', integerFrom(0), DEFAULT_DASHBOARD_PORT)
    .action(({ port }: { port: number }) =>
      cli.run(async (client) => {
        const { apiUrl } = cli.connection();
        const dashboard = await startDashboard({ client, apiUrl, port });
        cli.io.out(`Dashboard: ${dashboard.url} (API ${apiUrl}); Ctrl-C stops it.\n`);
        await untilStopped();
        await dashboard.close();
      }),
    );
}

const untilStopped = () =>
  new Promise<void>((stopped) => {
    process.once('SIGINT', () => stopped());
    process.once('SIGTERM', () => stopped());
  });
