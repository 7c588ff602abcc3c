import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { type TailguardConfig, TailguardConfigSchema } from './config.ts';
import { TailguardComputeStack } from './tailguard-compute-stack.ts';
import { TailguardCoreStack } from './tailguard-core-stack.ts';

/** Both stacks in one App, as `cdk synth` builds them for a real account, for template tests. */
export function testApp(settings: Partial<Record<keyof TailguardConfig, unknown>> = {}) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tailguard-synth-')) });
  const env = { account: '123456789012', region: 'eu-west-1' };
  const config = TailguardConfigSchema.parse(settings);
  const core = new TailguardCoreStack(app, 'TailguardCore', { env, config });
  const compute = new TailguardComputeStack(app, 'TailguardCompute', { env, core, config });
  return { app, core, compute, config };
}
