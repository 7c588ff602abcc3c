import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { TailguardClient, WorkflowRequestInput, WorkflowView } from '../../src/client/index.ts';
import { CliError } from '../cli-error.ts';
import type { CommandContext } from '../command-context.ts';
import { table } from '../format.ts';
import { requestFields, requestOptions } from '../request-options.ts';

/** Between polls of `workflow watch`: a step's end shows within this. */
const WATCH_INTERVAL_MS = 1000;

/** `workflow submit|get|watch|cancel`: one workflow and its steps (docs/workflows.md). */
export function workflowCommands(program: Command, cli: CommandContext): void {
  const workflow = program.command('workflow').description('submit, follow and cancel workflows (DAGs of jobs)');

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

  const submit = workflow
    .command('submit')
    .description('submit a workflow (a POST /workflows body, JSON) and print its id')
    .argument(
      '<file>',
      'the workflow definition: {"steps": [{"name", "type", "dependsOn"?, ...}]}; - reads standard input',
    );
  for (const option of requestOptions().filter((o) => SUBMIT_FIELDS.has(o.attributeName()))) submit.addOption(option);
  submit
    .option(
      '--wait',
      'then print each step as it moves until the workflow ends (as watch); exit code 1 unless it SUCCEEDED',
    )
    .action((file: string, flags: Record<string, unknown> & { wait?: boolean }) =>
      cli.run(async (client) => {
        // The key goes as the Idempotency-Key header, which lets the client retry the submission.
        const { idempotencyKey, ...fields } = requestFields(flags) as Partial<WorkflowRequestInput>;
        const request = { ...readDefinition(file), ...fields };
        const { id } = await client.submitWorkflow(request, { idempotencyKey });
        if (!flags.wait) return cli.print({ id }, () => [id]);
        if (!cli.json) cli.io.out(`${id}\n`);
        await watch(cli, client, id);
      }),
    );

  workflow
    .command('watch')
    .description('print each step as it moves until the workflow ends; exit code 1 unless it SUCCEEDED')
    .argument('<id>', 'workflow id')
    .action((id: string) => cli.run((client) => watch(cli, client, id)));

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

/** The options of `submit` a workflow takes too: whose it is, and its idempotency key. */
const SUBMIT_FIELDS = new Set(['tenant', 'idempotencyKey']);

/** A workflow definition from a JSON file or standard input (`-`): an object, checked by the API. */
function readDefinition(file: string): WorkflowRequestInput {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch (error) {
    throw new CliError('INVALID_WORKFLOW', `${file} is not JSON: ${(error as Error).message}`);
  }
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition))
    throw new CliError('INVALID_WORKFLOW', `${file} is not a JSON object: a POST /workflows body is {"steps": [...]}`);
  return definition as WorkflowRequestInput;
}

/** Prints each step as it moves until the workflow ends, then the workflow; exit code 1 unless it SUCCEEDED. */
async function watch(cli: CommandContext, client: TailguardClient, id: string): Promise<void> {
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
  cli.exitUnless(ended.status === 'SUCCEEDED', `workflow ${id} ended ${ended.status}`, 'tailguard.workflowFailed');
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
