import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { WorkflowView } from '../../src/client/index.ts';
import type { CommandContext } from '../command-context.ts';
import { table } from '../format.ts';

/** Between polls of `workflow watch`: a step's end shows within this. */
const WATCH_INTERVAL_MS = 1000;

/** `workflow get|watch|cancel`: one workflow and its steps (docs/workflows.md). */
export function workflowCommands(program: Command, cli: CommandContext): void {
  const workflow = program.command('workflow').description('follow and cancel workflows (DAGs of jobs)');

  workflow
    .command('get')
    .description('show a workflow and each step: status, attempts, job id')
    .argument('<id>', 'workflow id')
    .action((id: string) =>
      cli.run(async (client) => {
        const view = await client.getWorkflow(id);
        cli.print(view, () => workflowDetails(view));
      }),
    );

  workflow
    .command('watch')
    .description('print each step as it moves until the workflow ends; exit code 1 unless it SUCCEEDED')
    .argument('<id>', 'workflow id')
    .action((id: string) =>
      cli.run(async (client) => {
        const seen = new Map<string, string>();
        let view = await client.getWorkflow(id);
        for (;;) {
          for (const step of view.steps) {
            if (seen.get(step.name) === step.status) continue;
            seen.set(step.name, step.status);
            if (!cli.json) cli.io.out(`${step.name}  ${step.status}\n`);
          }
          if (view.status !== 'RUNNING') break;
          await sleep(WATCH_INTERVAL_MS);
          view = await client.getWorkflow(id);
        }
        const ended = view;
        cli.print(ended, () => [`workflow ${ended.id} ${ended.status}`]);
        cli.exitUnless(
          ended.status === 'SUCCEEDED',
          `workflow ${id} ended ${ended.status}`,
          'tailguard.workflowFailed',
        );
      }),
    );

  workflow
    .command('cancel')
    .description('cancel a workflow: waiting steps at once, running ones at their next heartbeat')
    .argument('<id>', 'workflow id')
    .action((id: string) =>
      cli.run(async (client) => {
        const view = await client.cancelWorkflow(id);
        cli.print(view, () => [
          view.status === 'CANCELLED' ? `cancelled: ${view.id}` : `stopping its running steps: ${view.id}`,
        ]);
      }),
    );
}

/** A workflow in full: its fields, then one row per step. */
function workflowDetails(view: WorkflowView): string[] {
  const fields = table([
    ['id', view.id],
    ['status', view.status + (view.cancelRequested && view.status === 'RUNNING' ? ' (cancelling)' : '')],
    ['tenant', view.tenant],
    ['created', view.createdAt],
    ...(view.finishedAt ? [['finished', view.finishedAt]] : []),
  ]);
  const steps = view.steps.map((step) => [
    step.name,
    step.type,
    step.status,
    String(step.attempts),
    step.dependsOn.join(',') || '-',
    step.jobId,
  ]);
  return [...fields, '', ...table([['step', 'type', 'status', 'attempts', 'after', 'job'], ...steps])];
}
