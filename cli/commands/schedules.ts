import { type Command, Option } from 'commander';
import type { ScheduleRequestInput, ScheduleView } from '../../src/client/index.ts';
import { OVERLAP_POLICIES } from '../../src/contract/requests.ts';
import { capacityOption, jsonValue, priorityOption } from '../arguments.ts';
import type { CommandContext } from '../command-context.ts';
import { table } from '../format.ts';

interface AddFlags {
  cron?: string;
  rate?: string;
  timezone?: string;
  payload?: unknown;
  priority?: ScheduleRequestInput['job']['priority'];
  capacity?: ScheduleRequestInput['job']['capacity'];
  overlap?: ScheduleRequestInput['overlap'];
  startAt?: string;
  endAt?: string;
}

/** `schedules ls|show|add|rm|pause|resume`: recurring jobs (docs/schedules.md). */
export function scheduleCommands(program: Command, cli: CommandContext): void {
  const schedules = program.command('schedules').description('recurring jobs: cron and rate schedules');

  schedules
    .command('ls')
    .description('list schedules: next fire, last job and its status')
    .action(() =>
      cli.run(async (client) => {
        const items = await client.listSchedules();
        cli.print({ items }, () =>
          items.length === 0
            ? ['no schedules']
            : table([
                ['name', 'expression', 'state', 'job', 'next fire', 'last job', 'status'],
                ...items.map((s) => {
                  const last = s.recentJobs[0];
                  return [
                    s.name,
                    `${s.cron ?? s.rate}${s.timezone === 'UTC' ? '' : ` ${s.timezone}`}`,
                    s.state,
                    s.job.type,
                    s.nextFires[0] ?? '-',
                    last ? `${last.jobId} @ ${last.fireTime}` : '-',
                    last?.status ?? '-',
                  ];
                }),
              ]),
        );
      }),
    );

  schedules
    .command('show')
    .description('show a schedule, its next fire times and its latest fires')
    .argument('<name>', 'schedule name')
    .action((name: string) =>
      cli.run(async (client) => {
        const schedule = await client.getSchedule(name);
        cli.print(schedule, () => scheduleDetails(schedule));
      }),
    );

  schedules
    .command('add')
    .description('create a schedule that submits a job of <type> at each fire time')
    .argument('<name>', 'schedule name: 1-48 of A-Z a-z 0-9 . _ -')
    .argument('<type>', 'job type, one the workers handle')
    .addOption(new Option('--cron <expression>', 'e.g. "cron(0 9 ? * MON *)"').conflicts('rate'))
    .addOption(new Option('--rate <expression>', 'e.g. "rate(1 hour)" (at least 1 minute)'))
    .option('--timezone <zone>', 'IANA time zone of the cron fields (default UTC)')
    .option('--payload <json>', 'payload of each job, any JSON', jsonValue)
    .addOption(priorityOption())
    .addOption(capacityOption())
    .addOption(
      new Option(
        '--overlap <policy>',
        'while the previous job runs: skip the fire (default), buffer one, or allow',
      ).choices(OVERLAP_POLICIES),
    )
    .option('--start-at <time>', 'first possible fire (ISO 8601)')
    .option('--end-at <time>', 'last possible fire (ISO 8601)')
    .action((name: string, type: string, flags: AddFlags) =>
      cli.run(async (client) => {
        const { cron, rate, timezone, payload, priority, capacity, overlap, startAt, endAt } = flags;
        const schedule = await client.createSchedule({
          name,
          cron,
          rate,
          timezone,
          job: { type, payload: payload as ScheduleRequestInput['job']['payload'], priority, capacity },
          overlap,
          startAt,
          endAt,
        });
        cli.print(schedule, () => [`created: ${schedule.name}; next fires ${schedule.nextFires.join(', ') || 'none'}`]);
      }),
    );

  schedules
    .command('rm')
    .description('delete a schedule (the jobs it made stay)')
    .argument('<name>', 'schedule name')
    .action((name: string) =>
      cli.run(async (client) => {
        const deleted = await client.deleteSchedule(name);
        cli.print(deleted, () => [`deleted: ${name}`]);
      }),
    );

  for (const [command, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedules
      .command(command)
      .description(paused ? 'pause a schedule: no fires until resumed' : 'resume a paused schedule')
      .argument('<name>', 'schedule name')
      .action((name: string) =>
        cli.run(async (client) => {
          const schedule = await client.pauseSchedule(name, paused);
          cli.print(schedule, () => [`${schedule.name}: ${schedule.state}`]);
        }),
      );
  }
}

function scheduleDetails(s: ScheduleView): string[] {
  const fields: [string, string | null][] = [
    ['name', s.name],
    ['expression', s.cron ?? s.rate],
    ['time zone', s.timezone],
    ['state', s.state],
    ['overlap', s.overlap],
    ['job', `${s.job.type} (${s.job.capacity}-${s.job.priority})`],
    ['payload', s.job.payload === null ? null : JSON.stringify(s.job.payload)],
    ['starts', s.startAt],
    ['ends', s.endAt],
    ['next fires', s.nextFires.join(', ') || '-'],
    ['waiting fire', s.bufferedFire],
    ['skipped fires', s.skippedFires.join(', ') || null],
  ];
  const lines = table(fields.flatMap(([name, value]) => (value === null ? [] : [[name, value]])));
  if (s.recentJobs.length === 0) return lines;
  return [
    ...lines,
    '',
    ...table([['fire time', 'job', 'status'], ...s.recentJobs.map((j) => [j.fireTime, j.jobId, j.status ?? '-'])]),
  ];
}
