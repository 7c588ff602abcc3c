#!/usr/bin/env node
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { TailguardCoreStack } from './tailguard-core-stack.ts';

const app = new App();
// `tailguard:local` is set by the local runtime: throw-away resources on an emulator.
const local = String(app.node.tryGetContext('tailguard:local')) === 'true';
const stackName = String(app.node.tryGetContext('tailguard:stackName') ?? 'TailguardCore');

new TailguardCoreStack(app, stackName, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  removalPolicy: local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  description: 'Tailguard: serverless job queue (queues, tables, intake API)',
});
