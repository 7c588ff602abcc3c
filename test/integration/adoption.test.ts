import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ClientModule from '../../src/client/index.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const { deployment } = testStack();

/**
 * What a team does, from the packed package: a copy of examples/quickstart outside the repository
 * installs the tarball, synthesizes its CDK app offline, and runs `tailguard dev`; its TypeScript
 * `greet` and Python `embed` handlers end SUCCEEDED through `tailguard/client`.
 */
describe('adopting Tailguard from the packed package (examples/quickstart)', () => {
  const work = mkdtempSync(join(tmpdir(), 'tailguard-adoption-'));
  const project = join(work, 'quickstart');
  let dev: ChildProcess | undefined;
  let devOutput = '';

  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--pack-destination', work, '--silent'], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    const tarball = join(work, stdout.trim().split('\n').at(-1)!);
    cpSync(join(root, 'examples/quickstart'), project, { recursive: true });
    // As a team would, but with this build instead of the registry's.
    await run('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: project, maxBuffer: 64 * 1024 * 1024 });
  }, 600_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null && dev.signalCode === null) {
      const exited = new Promise((resolve) => dev!.once('exit', resolve));
      dev.kill('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
      // Backstop: the whole process group (the CLI, its workers, their Python processes).
      if (dev.exitCode === null && dev.signalCode === null) process.kill(-dev.pid!, 'SIGKILL');
    }
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('synthesizes the team app offline, with Tailguard`s Lambdas pre-bundled in the package', async () => {
    await run(join(project, 'node_modules/.bin/cdk'), ['synth', '--quiet'], {
      cwd: project,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });

    const template = JSON.parse(readFileSync(join(project, 'cdk.out/Quickstart.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::Lambda::Function').length).toBeGreaterThanOrEqual(11);
    expect(types.filter((t) => t === 'AWS::ECS::Service')).toHaveLength(2);
    expect(existsSync(join(project, 'node_modules/tailguard/dist/functions/submit-job/index.mjs'))).toBe(true);
  }, 300_000);

  it('runs greet (TypeScript) and embed (Python, gpu class) to SUCCEEDED under tailguard dev', async () => {
    dev = spawn(join(project, 'node_modules/.bin/tailguard'), ['dev', '--endpoint', deployment.endpoint], {
      cwd: project,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout!.on('data', (chunk: Buffer) => {
      devOutput += chunk;
    });
    dev.stderr!.on('data', (chunk: Buffer) => {
      devOutput += chunk;
    });
    await waitFor(
      async () => devOutput,
      (text) => text.includes('Tailguard is running') || dev!.exitCode !== null,
      { timeoutMs: 400_000, intervalMs: 1000, what: 'tailguard dev to deploy the quickstart and start its workers' },
    );
    expect(dev.exitCode, devOutput.slice(-4000)).toBeNull();

    const local = JSON.parse(readFileSync(join(project, '.tailguard/local.json'), 'utf8'));
    const { createClient } = (await import(
      join(project, 'node_modules/tailguard/dist/client.mjs')
    )) as typeof ClientModule;
    const client = createClient({ apiUrl: local.apiUrl, region: local.region, credentials: local.credentials });

    const greet = await client.submit({ type: 'greet', payload: { name: 'Ada' } });
    const embed = await client.submit({ type: 'embed', capacity: 'gpu', payload: { text: 'tail latency matters' } });
    const [greeted, embedded] = await Promise.all(
      [greet.body.id, embed.body.id].map((id) => client.waitFor(id, { timeoutMs: 120_000 })),
    );

    expect(greeted).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: { greeting: 'Hello, Ada!' } });
    expect(embedded).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: { size: 8, words: 3 } });
    expect((embedded!.result as { vector: number[] }).vector).toHaveLength(8);
  }, 600_000);
});
