import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { TailguardDemoStack } from '../../demo/stack/demo-stack.ts';
import type { TailguardConfig } from '../../infra/config.ts';

/** The demo stack as `cdk synth` builds it for a real account, with `tailguard:<setting>` context, for template tests. */
export function testApp(settings: Partial<Record<keyof TailguardConfig, unknown>> = {}) {
  const context = Object.fromEntries(Object.entries(settings).map(([name, value]) => [`tailguard:${name}`, value]));
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tailguard-synth-')), context });
  const stack = new TailguardDemoStack(app, 'Tailguard', { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack, tailguard: stack.tailguard };
}
