import { type Command, InvalidArgumentError } from 'commander';
import type { StatsView, TenantSettings, TenantView } from '../../src/client/index.ts';
import { integerFrom } from '../arguments.ts';
import type { CommandContext } from '../command-context.ts';
import { table } from '../format.ts';

/** One tenant's load in `GET /stats` (its `tenants` section, where the deployment has it). */
interface TenantLoad {
  tenant: string;
  running: number;
  queued: number;
  waitP99Ms: number;
}

interface SetFlags {
  weight?: number;
  concurrency?: number;
  perSecond?: number;
  maxQueued?: number;
}

const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('must be a number above 0');
  return n;
};

/** `tenants`, `tenants show|set|reset`: tenants' weights and quotas (docs/tenants.md). */
export function tenantCommands(program: Command, cli: CommandContext): void {
  const tenants = program
    .command('tenants')
    .description("tenants' weights and quotas, and their running and queued jobs")
    .action(() =>
      cli.run(async (client) => {
        const [items, stats] = await Promise.all([client.listTenants(), client.stats()]);
        // The stats' tenants section is newer than some deployments: without it, load shows '-'.
        const loads = new Map(
          ((stats as StatsView & { tenants?: TenantLoad[] }).tenants ?? []).map((load) => [load.tenant, load]),
        );
        const names = [...new Set([...items.map((item) => item.tenant), ...loads.keys()])].sort();
        const byName = new Map(items.map((item) => [item.tenant, item]));
        cli.print({ tenants: items, load: [...loads.values()] }, () =>
          names.length === 0
            ? ['no tenants with settings of their own']
            : table([
                ['tenant', 'weight', 'concurrency', 'per second', 'max queued', 'running', 'queued', 'wait p99'],
                ...names.map((name) => {
                  const settings = byName.get(name)?.settings;
                  const load = loads.get(name);
                  return [
                    name,
                    ...[settings?.weight, settings?.concurrency, settings?.perSecond, settings?.maxQueued].map(shown),
                    shown(load?.running),
                    shown(load?.queued),
                    load ? `${load.waitP99Ms} ms` : '-',
                  ];
                }),
              ]),
        );
      }),
    );

  tenants
    .command('show')
    .description("a tenant's settings as they apply, and those stored at run time")
    .argument('<tenant>', 'tenant id')
    .action((tenant: string) =>
      cli.run(async (client) => {
        const view = await client.getTenant(tenant);
        cli.print(view, () => tenantDetails(view));
      }),
    );

  tenants
    .command('set')
    .description("store a tenant's settings (replacing those stored before); they act within seconds")
    .argument('<tenant>', 'tenant id: 1-64 of A-Z a-z 0-9 . _ -')
    .option('--weight <n>', 'share of capacity against other tenants with work (1-1000)', integerFrom(1))
    .option('--concurrency <n>', 'most of its jobs running at once', integerFrom(1))
    .option('--per-second <n>', 'most of its jobs starting per second (fractions allowed)', positiveNumber)
    .option('--max-queued <n>', 'most of its jobs waiting to start; more are refused (429)', integerFrom(1))
    .action((tenant: string, flags: SetFlags) =>
      cli.run(async (client) => {
        const settings: TenantSettings = {
          weight: flags.weight,
          concurrency: flags.concurrency,
          perSecond: flags.perSecond,
          maxQueued: flags.maxQueued,
        };
        const view = await client.putTenant(tenant, settings);
        cli.print(view, () => tenantDetails(view));
      }),
    );

  tenants
    .command('reset')
    .description("drop a tenant's stored settings: the deployment's apply again")
    .argument('<tenant>', 'tenant id')
    .action((tenant: string) =>
      cli.run(async (client) => {
        const view = await client.deleteTenant(tenant);
        cli.print(view, () => [view.deleted ? `reset: ${tenant}` : `${tenant} had no stored settings`]);
      }),
    );
}

const shown = (value: number | undefined) => (value === undefined ? '-' : String(value));

function tenantDetails(view: TenantView): string[] {
  const { settings, stored } = view;
  return table([
    ['tenant', view.tenant],
    ['weight', String(settings.weight)],
    ['concurrency', shown(settings.concurrency)],
    ['per second', shown(settings.perSecond)],
    ['max queued', shown(settings.maxQueued)],
    ['stored', stored ? JSON.stringify(stored) : '-'],
  ]);
}
