import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../src/aws/environment/index.ts';
import { BY_STATUS_INDEX } from '../src/jobs/store/index.ts';
import { cfnLintErrors } from './cfn-lint.ts';
import { MAX_RECEIVE_COUNT } from './queues.ts';
import { testApp } from './test-app.ts';

let template: Template;

beforeAll(() => {
  template = Template.fromStack(testApp().core);
});

describe('TailguardCoreStack', () => {
  it('has a queue and a DLQ per priority and capacity class, encrypted, with redrive', () => {
    // Assess: 4 priorities × 2 classes, each with its DLQ.
    template.resourceCountIs('AWS::SQS::Queue', 18); // + the start scheduler's queue and its DLQ
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
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      18,
    );
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
      for (const resource of Object.values(template.findResources(type)))
        expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('runs one Node.js 22 function per route, the start scheduler, the straggler detector and the reaper', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs22.x', Architectures: ['arm64'] },
      11,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.reaperGraceSeconds]: '300', [ENV.reaperIntervalSeconds]: '60' }),
      },
    });
    template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' }, 2);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.resourceCountIs('AWS::ApiGateway::Method', 8);
    for (const path of ['jobs', '{id}', 'cancel', 'dlq', 'requeue', 'redrive', 'stats', 'health']) {
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: path });
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' }, 8);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      StageName: 'v1',
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 })],
    });
  });

  it('gives EventBridge Scheduler a role of its own', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      },
    });
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
  });

  it('accepts at intake exactly the job types the workers register', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.jobTypes]: 'noop,sleep,flaky,fail,poison' }) },
    });
  });

  it('exports the outputs the local runtime and workers read', () => {
    for (const output of [
      'ApiUrl',
      'ApiId',
      'ApiStage',
      'JobsTableName',
      'IdempotencyTableName',
      'QueueTopology',
      'SchedulerQueueUrl',
      'ScheduleGroup',
    ]) {
      template.hasOutput(output, {});
    }
  });

  it('passes cfn-lint without errors', () => {
    expect(cfnLintErrors(template, 'TailguardCore')).toEqual([]);
  });
});
