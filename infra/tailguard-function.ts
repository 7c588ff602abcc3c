import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { packageRoot } from '../src/package-root.ts';
import { nag } from './nag.ts';

export interface TailguardFunctionProps {
  /** Folder under `functions/` holding `handler.ts`. */
  handlerDir: string;
  description: string;
  environment: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
}

const root = packageRoot(import.meta.url);
/**
 * Running from the published package (this module bundled into dist/cdk.mjs) rather than from
 * source: its Lambdas were pre-bundled by `npm pack` (scripts/build-package.ts) into `<dir>/index.mjs`.
 */
const fromPackage = !import.meta.url.endsWith('.ts');
const bundledDir = `${root}dist/functions/`;
const functionsDir = `${root}functions/`;
const lockFile = `${root}package-lock.json`;

/**
 * A Node.js 22 Lambda of Tailguard's. Inside the published package its code is pre-bundled, so a
 * team's synth needs neither esbuild nor Tailguard's sources (bundling inside a published construct
 * breaks for consumers: aws-cdk#9759). In this repository it is bundled from source by esbuild,
 * locally (never Docker), with the AWS SDK bundled in: that pins the SDK version the tests ran and
 * works on emulators whose runtime has no SDK.
 */
export function tailguardFunction(scope: Construct, id: string, props: TailguardFunctionProps): LambdaFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const common = {
    handler: 'index.handler',
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(10),
    description: props.description,
    logGroup,
    environment: {
      POWERTOOLS_SERVICE_NAME: 'tailguard',
      POWERTOOLS_METRICS_NAMESPACE: 'Tailguard',
      ...props.environment,
    },
  };
  const fn = fromPackage
    ? new LambdaFunction(scope, id, {
        ...common,
        code: Code.fromAsset(`${bundledDir}${props.handlerDir}`),
        environment: { ...common.environment, NODE_OPTIONS: '--enable-source-maps' },
      })
    : new NodejsFunction(scope, id, {
        ...common,
        handler: 'handler',
        entry: `${functionsDir}${props.handlerDir}/handler.ts`,
        depsLockFilePath: lockFile,
        bundling: { ...LAMBDA_BUNDLING, forceDockerBundling: false, format: OutputFormat.ESM, sourceMap: true },
      });
  nag.lambda(fn);
  return fn;
}

/** esbuild settings of every Tailguard Lambda, in this repository's synth and in the package build alike. */
export const LAMBDA_BUNDLING = {
  target: 'node22',
  minify: true,
  // Error names are stored on jobs and shown by the API (TailguardError takes its class's name).
  keepNames: true,
  externalModules: [] as string[],
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
};

/**
 * Starts `fn` every minute (EventBridge's finest rate) without retries: the detector and the reaper
 * each loop inside a run, and a failed run is simply followed by the next minute's.
 */
export function startEveryMinute(scope: Construct, fn: LambdaFunction, description: string): Rule {
  return new Rule(scope, 'EveryMinute', {
    description,
    schedule: Schedule.rate(Duration.minutes(1)),
    targets: [new LambdaTarget(fn, { retryAttempts: 0 })],
  });
}
