/**
 * `tailguard/cdk`: the Tailguard construct for a team's own CDK app.
 *
 *   import { Tailguard } from 'tailguard/cdk';
 *   new Tailguard(this, 'Jobs', { workers: { cpu: { image: ContainerImage.fromAsset('worker') } } });
 */
export type { TailguardManifest } from '../src/aws/manifest.ts';
export type { TypeLimit, TypeLimits } from '../src/jobs/limits/index.ts';
export type { TailguardConfig } from './config.ts';
export {
  type CpuWorkerPoolProps,
  type GpuWorkerPoolProps,
  MANIFEST_DESCRIPTION,
  Tailguard,
  type TailguardProps,
  type WorkerPoolProps,
} from './tailguard.ts';
