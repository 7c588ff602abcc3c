#!/usr/bin/env node
import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from './config.ts';
import { TailguardComputeStack } from './tailguard-compute-stack.ts';
import { TailguardCoreStack } from './tailguard-core-stack.ts';

const app = new App();
// Synthesis fails on any AwsSolutions finding that is not acknowledged with a reason (infra/nag.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const config = readConfig(app.node);
// Set by the local runtime: throw-away resources on an emulator, which cannot run ECS.
const local = String(app.node.tryGetContext('tailguard:local')) === 'true';
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

const core = new TailguardCoreStack(
  app,
  String(app.node.tryGetContext('tailguard:stackName') ?? `${config.prefix}Core`),
  {
    env,
    config,
    removalPolicy: local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    description: 'Tailguard: serverless job queue (queues, tables, start scheduler, intake API)',
  },
);

if (!local) {
  new TailguardComputeStack(app, `${config.prefix}Compute`, {
    env,
    core,
    config,
    description: 'Tailguard: ECS worker services, dashboard and alarms',
  });
}
