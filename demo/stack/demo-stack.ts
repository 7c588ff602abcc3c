import { fileURLToPath } from 'node:url';
import { Stack, type StackProps } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { Tailguard } from '../../infra/index.ts';
import { builtinHandlers } from '../worker/builtin-handlers.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * This repository's own deployment: the Tailguard construct with the demo worker (demo/worker/main.ts
 * and the built-in handlers, image demo/worker/Dockerfile) on both classes. Settings come from CDK
 * context (`tailguard:<setting>`, docs/configuration.md); on an emulator (`tailguard:local=true`)
 * only the serverless part deploys and the local runtime runs the workers.
 */
export class TailguardDemoStack extends Stack {
  readonly tailguard: Tailguard;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const image = ContainerImage.fromAsset(repoRoot, {
      file: 'demo/worker/Dockerfile',
      platform: Platform.LINUX_AMD64,
    });
    // Types served by handlers the worker learns at run time (its --python-handlers), which synth cannot see.
    const extraTypes = String(this.node.tryGetContext('tailguard:extraJobTypes') ?? '')
      .split(',')
      .filter(Boolean);
    this.tailguard = new Tailguard(this, 'Tailguard', {
      jobTypes: [...builtinHandlers().types, ...extraTypes],
      workers: { cpu: { image }, gpu: { image } },
    });
  }
}
