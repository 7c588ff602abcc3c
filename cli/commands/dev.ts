import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { startDev } from '../../local/dev.ts';
import { createClient } from '../../src/client/index.ts';
import { integerFrom } from '../arguments.ts';
import type { CliIo } from '../cli-io.ts';
import { resolveConnection } from '../connection.ts';
import {
  type Dashboard,
  type DashboardOptions,
  DEFAULT_DASHBOARD_PORT,
  startDashboard,
} from '../dashboard/dashboard-server.ts';

const count = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 32) throw new InvalidArgumentError('must be a whole number from 0 to 32');
  return n;
};

/**
 * `tailguard dev`: runs the project in the current directory locally — emulator, its CDK app's
 * stacks, its workers — until Ctrl-C, which stops everything it started.
 */
export function devCommand(program: Command, io: CliIo): void {
  program
    .command('dev')
    .description('run this project locally: AWS emulator, its CDK app, its workers (package.json#tailguard)')
    .option('--dir <path>', 'the project folder (its cdk.json and package.json)', '.')
    .option('--endpoint <url>', 'AWS emulator endpoint (default: $AWS_ENDPOINT_URL, else the embedded emulator)')
    .option('--cpu <n>', 'cpu-class worker processes (default: package.json#tailguard)', count)
    .option('--gpu <n>', 'gpu-class worker processes (default: package.json#tailguard)', count)
    .option(
      '--dashboard-port <n>',
      'port of the dashboard on 127.0.0.1 (another free one when taken)',
      integerFrom(0),
      DEFAULT_DASHBOARD_PORT,
    )
    .action(async (flags: DevFlags) => {
      const log = (line: string) => io.err(`${line}\n`);
      const projectDir = `${resolve(io.cwd, flags.dir)}/`;
      const session = await startDev({
        projectDir,
        endpoint: flags.endpoint ?? io.env.AWS_ENDPOINT_URL,
        counts: { cpu: flags.cpu, gpu: flags.gpu },
        log,
      });
      const { deployment, pool } = session.stack;
      let dashboard: Dashboard;
      try {
        // Connected as the CLI would be from the project folder: through the local.json just written.
        const connection = resolveConnection({}, { env: {}, cwd: projectDir });
        dashboard = await startLocalDashboard({
          client: createClient(connection),
          apiUrl: connection.apiUrl,
          port: flags.dashboardPort,
        });
      } catch (error) {
        await session.stack.close();
        throw error;
      }
      const workers = pool.running.map((w) => w.capacity);
      io.out(
        [
          '',
          'Tailguard is running.',
          `  API:       ${deployment.apiUrl}`,
          `  Dashboard: ${dashboard.url}`,
          `  Workers:   ${workers.filter((c) => c === 'cpu').length} cpu, ${workers.filter((c) => c === 'gpu').length} gpu (logs in .tailguard/workers/)`,
          `  State:     ${session.stateFile} (tailguard submit/get/watch read the API from it)`,
          '',
          `Try it:  ${session.cli} submit <type> --payload '{...}' --wait`,
          'Ctrl-C stops everything this command started.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((done) => {
        const stop = (signal: NodeJS.Signals) => {
          log(`\n${signal}: stopping workers${session.stack.emulator.startedHere ? ' and the emulator' : ''}...`);
          void Promise.all([dashboard.close(), session.stack.close()]).then(() => done());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

interface DevFlags {
  dir: string;
  endpoint?: string;
  cpu?: number;
  gpu?: number;
  dashboardPort: number;
}

/** The dashboard on the port asked for or, when another session holds that one, on any free port. */
async function startLocalDashboard(options: DashboardOptions): Promise<Dashboard> {
  try {
    return await startDashboard(options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return startDashboard({ ...options, port: 0 });
  }
}
