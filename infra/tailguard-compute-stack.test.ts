import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../src/aws/environment/index.ts';
import { cfnLintErrors } from './cfn-lint.ts';
import { testApp } from './test-app.ts';

let template: Template;

beforeAll(() => {
  template = Template.fromStack(testApp().compute);
});

describe('TailguardComputeStack', () => {
  it('runs cpu workers on Fargate from the repository image, non-root-ready and read-only', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '1024',
      Memory: '2048',
      ContainerDefinitions: [
        Match.objectLike({
          ReadonlyRootFilesystem: true,
          StopTimeout: 120,
          Environment: Match.arrayWith([
            { Name: ENV.workerCapacity, Value: 'cpu' },
            { Name: ENV.workerShutdownGraceSeconds, Value: '100' },
          ]),
        }),
      ],
    });
    template.hasResourceProperties('AWS::ECS::Service', { LaunchType: 'FARGATE', DesiredCount: 1 });
  });

  it('runs gpu workers on GPU instances through a capacity provider, reserving a GPU per task, from zero', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'g5.xlarge',
        ImageId: { Ref: Match.stringLikeRegexp('gpu') },
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '0',
      MaxSize: '4',
      NewInstancesProtectedFromScaleIn: true,
    });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: Match.objectLike({ Status: 'ENABLED' }),
        ManagedTerminationProtection: 'ENABLED',
      }),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['EC2'],
      ContainerDefinitions: [Match.objectLike({ ResourceRequirements: [{ Type: 'GPU', Value: '1' }] })],
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 0,
      CapacityProviderStrategy: [Match.objectLike({ Weight: 1 })],
    });
  });

  it('scales each service on work per task (target tracking) and wakes an idle service from zero', () => {
    const targetTracking = template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', {
      Properties: { PolicyType: 'TargetTrackingScaling' },
    });
    expect(Object.keys(targetTracking)).toHaveLength(2);
    for (const policy of Object.values(targetTracking)) {
      const metrics = policy.Properties.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification
        .Metrics as { Id: string; Expression?: string }[];
      expect(metrics.filter((m) => m.Id.startsWith('visible'))).toHaveLength(4);
      expect(metrics.find((m) => m.Id === 'workPerTask')?.Expression).toMatch(/\/ MAX\(\[running, 1\]\)$/);
    }
    template.resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' }, 2);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 4 });
  });

  it('alarms on non-empty DLQs, old messages per priority, API 5xx, classes with work but no workers, and a stalled reaper', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { AlarmName: string; Threshold: number },
    );
    const named = (pattern: RegExp) => alarms.filter((a) => pattern.test(a.AlarmName));
    expect(named(/-DLQ-Queue-Message-Count-Max-Critical$/)).toHaveLength(8);
    const ageThresholds = named(/Queue-Message-Age-Max/).map((a) => a.Threshold);
    expect(ageThresholds).toEqual(expect.arrayContaining([60, 300, 900, 3600]));
    expect(named(/^Tailguard-api-Fault-Rate/)).toHaveLength(1);
    expect(named(/-Fault-Rate-Warning$/)).toHaveLength(11); // one per function
    expect(named(/no-running-workers/)).toHaveLength(2);
    expect(named(/reaper-not-running/)).toHaveLength(1);
    expect(named(/reaper-stuck-jobs/).map((a) => a.Threshold)).toEqual([900]);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('passes cfn-lint without errors', () => {
    expect(cfnLintErrors(template, 'TailguardCompute')).toEqual([]);
  });
});
