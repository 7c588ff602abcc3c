#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TailguardDemoStack } from './demo-stack.ts';

const app = new App();
// Synthesis fails on any AwsSolutions finding that is not acknowledged with a reason (infra/nag.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
new TailguardDemoStack(app, String(app.node.tryGetContext('tailguard:stackName') ?? 'Tailguard'), {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Tailguard: serverless job queue with straggler speculation (demo workers)',
});
