import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cfnLintPath } from '../localstack/emulator.ts';
import { TailguardConfigSchema } from './config.ts';
import { MAX_RECEIVE_COUNT } from './queues.ts';
import { BY_STATUS_INDEX } from '../src/jobs/job-store.ts';
import { TailguardCoreStack } from './tailguard-core-stack.ts';

let template: Template;

beforeAll(() => {
  const app = new App();
  const stack = new TailguardCoreStack(app, 'TailguardCore', { env: { account: '123456789012', region: 'eu-west-1' }, config: TailguardConfigSchema.parse({}) });
  template = Template.fromStack(stack);
});

describe('TailguardCoreStack', () => {
  it('has a queue and a DLQ per priority and capacity class, encrypted, with redrive', () => {
    // Assess: 4 priorities × 2 classes, each with its DLQ.
    template.resourceCountIs('AWS::SQS::Queue', 18); // + the retry scheduler's queue and its DLQ
    const workQueues = template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } });
    expect(Object.keys(workQueues)).toHaveLength(9);
    for (const [logicalId, queue] of Object.entries(workQueues).filter(([id]) => id.startsWith('Queues'))) {
      expect(logicalId).toMatch(/^Queues(cpu|gpu)/);
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 60,
        RedrivePolicy: { maxReceiveCount: MAX_RECEIVE_COUNT },
      });
    }
    template.resourcePropertiesCountIs('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    }, 18);
  });

  it('has a jobs table indexed by status and an idempotency table with TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: BY_STATUS_INDEX,
          KeySchema: [
            { AttributeName: 'statusKey', KeyType: 'HASH' },
            { AttributeName: 'updatedAt', KeyType: 'RANGE' },
          ],
        }),
      ],
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('keeps queues and tables when the stack is deleted from a real account', () => {
    for (const type of ['AWS::SQS::Queue', 'AWS::DynamoDB::GlobalTable']) {
      for (const resource of Object.values(template.findResources(type))) expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('runs one Node.js 22 function per route, and the retry scheduler', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Architectures: ['arm64'] }, 9);
    template.resourceCountIs('AWS::ApiGateway::Method', 8);
    for (const path of ['jobs', '{id}', 'cancel', 'dlq', 'requeue', 'redrive', 'stats', 'health']) {
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: path });
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 })],
    });
  });

  it('gives EventBridge Scheduler a role of its own', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] },
    });
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
  });

  it('accepts at intake exactly the job types the workers register', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TAILGUARD_JOB_TYPES: 'noop,sleep,flaky,fail,poison' }) },
    });
  });

  it('exports the outputs the local runtime and workers read', () => {
    for (const output of ['ApiUrl', 'ApiId', 'ApiStage', 'JobsTableName', 'IdempotencyTableName', 'QueueTopology', 'SchedulerQueueUrl', 'ScheduleGroup']) {
      template.hasOutput(output, {});
    }
  });

  it('passes cfn-lint without errors', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'tailguard-lint-')), 'TailguardCore.template.json');
    writeFileSync(file, JSON.stringify(template.toJSON()));
    // Act
    const lint = spawnSync(cfnLintPath(), ['--format', 'parseable', file], { encoding: 'utf8' });
    // Assess: exit code bit 2 means errors (4 is warnings, 8 informational).
    expect(lint.error).toBeUndefined();
    expect(lint.status! & 2, lint.stdout).toBe(0);
    expect(lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line))).toEqual([]);
  });
});
