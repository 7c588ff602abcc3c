import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { TailguardDemoStack } from '../../demo/stack/demo-stack.ts';
import type { TailguardConfig } from '../../infra/config.ts';
import { Tailguard, type TailguardProps } from '../../infra/tailguard.ts';

const env = { account: '123456789012', region: 'eu-west-1' };

/**
 * An app for template tests, in a directory of its own, that bundles no Lambda: esbuild for each
 * of the 31 functions is most of a synth's time, and a template does not depend on the code.
 * The deployed stack (integration tests) and the packed package still bundle theirs.
 */
export function templateApp(context: Record<string, unknown> = {}): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'tailguard-synth-')),
    context: { [BUNDLING_STACKS]: [], ...context },
  });
}

/** The demo stack as `cdk synth` builds it for a real account, with `tailguard:<setting>` context, for template tests. */
export function testApp(settings: Partial<Record<keyof TailguardConfig, unknown>> = {}) {
  const context = Object.fromEntries(Object.entries(settings).map(([name, value]) => [`tailguard:${name}`, value]));
  const app = templateApp(context);
  const stack = new TailguardDemoStack(app, 'Tailguard', { env });
  return { app, stack, tailguard: stack.tailguard };
}

/** The template of a team's stack holding one Tailguard construct with these props. */
export function synthTailguard(props: TailguardProps, context: Record<string, unknown> = {}): Template {
  const stack = new Stack(templateApp(context), 'Team', { env });
  new Tailguard(stack, 'Jobs', props);
  return Template.fromStack(stack);
}
