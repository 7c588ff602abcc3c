import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { nag } from './nag.ts';

export interface TailguardFunctionProps {
  /** Folder under `functions/` holding `handler.ts`. */
  handlerDir: string;
  description: string;
  environment: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
}

const functionsDir = fileURLToPath(new URL('../functions/', import.meta.url));
const lockFile = fileURLToPath(new URL('../package-lock.json', import.meta.url));

/**
 * A Node.js 22 Lambda bundled locally by esbuild (never Docker), with the AWS SDK bundled in:
 * that pins the SDK version the tests ran and works on emulators whose runtime has no SDK.
 */
export class TailguardFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: TailguardFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: `${functionsDir}${props.handlerDir}/handler.ts`,
      depsLockFilePath: lockFile,
      handler: 'handler',
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
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        // Error names are stored on jobs and shown by the API (TailguardError takes its class's name).
        keepNames: true,
        sourceMap: true,
        externalModules: [],
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    nag.lambda(this);
  }
}
