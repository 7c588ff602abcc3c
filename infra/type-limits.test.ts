import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../src/aws/environment/index.ts';
import { synthTailguard } from '../test/helpers/test-app.ts';

const image = ContainerImage.fromRegistry('public.ecr.aws/team/worker:1');
const LIMITS = { render: { concurrency: 2, perSecond: 0.5 } };
/** What the 4 `/tenants` routes may do with the coordination table's `tenant#<id>` items. */
const TENANT_ROUTE_GRANT = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'];
const TENANTS = { defaults: { maxQueued: 1000 }, overrides: { acme: { weight: 3, concurrency: 2 } } };

/** The coordination table's logical id (turns, limit slots, rate windows). */
const coordinationTable = (template: Template) =>
  Object.keys(template.findResources('AWS::DynamoDB::GlobalTable')).find((id) => id.includes('Coordination'))!;

/** The item actions granted on the coordination table, by the role's logical id. */
function coordinationGrants(template: Template): Record<string, string[]> {
  const table = coordinationTable(template);
  const grants: Record<string, string[]> = {};
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      const resources = [statement.Resource].flat();
      if (!resources.some((r) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [table, 'Arn'] }))) continue;
      // A role's statements may sit in several policies (CDK moves what overflows one into another).
      for (const role of policy.Properties.Roles) {
        grants[role.Ref] = [...new Set([...(grants[role.Ref] ?? []), ...[statement.Action].flat()])];
      }
    }
  }
  return grants;
}

describe('per-type limits', () => {
  let limited: Template;
  beforeAll(() => {
    limited = synthTailguard({ jobTypes: ['render', 'noop'], typeLimits: LIMITS, workers: { cpu: { image } } });
  });

  it('reach the workers and GET /stats as one variable, with the coordination table', () => {
    const table = { Ref: coordinationTable(limited) };
    limited.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: ENV.coordinationTable, Value: table },
            { Name: ENV.typeLimits, Value: JSON.stringify(LIMITS) },
          ]),
        }),
      ],
    });
    limited.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^GET /stats'),
      Environment: {
        Variables: Match.objectLike({ [ENV.coordinationTable]: table, [ENV.typeLimits]: JSON.stringify(LIMITS) }),
      },
    });
  });

  it('grant the workers updates of the coordination table and GET /stats reads, nothing more', () => {
    const grants = Object.values(coordinationGrants(limited));
    // Tenants' windows (read back in batches) and settings (any tenant may get quotas at run time): the workers
    // (with their slots), the reaper, and everything that submits (POST /jobs, /jobs/batch, /workflows).
    const windows = ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'].join();
    expect(grants.filter((g) => g.join() === windows)).toHaveLength(5);
    // GET /stats reads limit slots and the message checks' records.
    expect(grants).toContainEqual(['dynamodb:GetItem', 'dynamodb:BatchGetItem']);
    // The straggler detector's turns.
    expect(grants).toContainEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // The check reviewer's records.
    expect(grants).toContainEqual(['dynamodb:BatchGetItem', 'dynamodb:UpdateItem']);
    // Schedules' fire logs: the fire function records, GET /jobs reads, the 6 /schedules routes read and forget.
    expect(grants).toContainEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(grants).toContainEqual(['dynamodb:GetItem']);
    expect(grants.filter((g) => g.join() === 'dynamodb:GetItem,dynamodb:DeleteItem')).toHaveLength(6);
    // Tenants: both cancels keep waiting jobs' counts, the 4 /tenants routes manage settings.
    expect(grants.filter((g) => g.join() === 'dynamodb:GetItem,dynamodb:UpdateItem')).toHaveLength(2);
    expect(grants.filter((g) => g.join() === TENANT_ROUTE_GRANT.join())).toHaveLength(4);
    expect(grants).toHaveLength(22);
  });

  it('leave the variable out, and grant nothing for them, when no type is limited', () => {
    const unlimited = synthTailguard({ workers: { cpu: { image } } });
    const environments = [
      ...Object.values(unlimited.findResources('AWS::Lambda::Function')).map((fn) =>
        Object.keys(fn.Properties.Environment?.Variables ?? {}),
      ),
      ...Object.values(unlimited.findResources('AWS::ECS::TaskDefinition')).map((task) =>
        task.Properties.ContainerDefinitions[0].Environment.map((v: { Name: string }) => v.Name),
      ),
    ];
    expect(environments.flat()).not.toContain(ENV.typeLimits);
    // The straggler detector's turns, the message checks' records, the schedules' fire logs, and
    // tenants' settings, counts and windows (any tenant may get quotas at run time): no GET /stats limit reads.
    expect(Object.values(coordinationGrants(unlimited)).sort()).toEqual([
      ['dynamodb:BatchGetItem'],
      ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
      ['dynamodb:GetItem'],
      ...Array.from({ length: 6 }, () => ['dynamodb:GetItem', 'dynamodb:DeleteItem']),
      ['dynamodb:GetItem', 'dynamodb:PutItem'],
      ...Array.from({ length: 4 }, () => TENANT_ROUTE_GRANT),
      ...Array.from({ length: 2 }, () => ['dynamodb:GetItem', 'dynamodb:UpdateItem']),
      ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      ...Array.from({ length: 5 }, () => ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem']),
    ]);
  });

  it('are read from tailguard:typeLimits as JSON text, and a malformed value is named', () => {
    const fromContext = synthTailguard({ local: true }, { 'tailguard:typeLimits': JSON.stringify(LIMITS) });
    fromContext.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.typeLimits]: JSON.stringify(LIMITS) }) },
    });
    expect(() => synthTailguard({ local: true }, { 'tailguard:typeLimits': '{render' })).toThrow(
      /tailguard:typeLimits: is not JSON/,
    );
    expect(() => synthTailguard({ local: true, typeLimits: { render: { concurrency: 0 } } })).toThrow(
      /tailguard:typeLimits.render.concurrency/,
    );
  });

  it('must name job types intake accepts, when it has an allow-list', () => {
    expect(() => synthTailguard({ local: true, jobTypes: ['noop'], typeLimits: LIMITS })).toThrow(
      'typeLimits names job types that jobTypes does not accept: render',
    );
  });
});

describe('tenants', () => {
  it('reach intake, the workers and the /tenants routes as one variable, and a bad one is named at synth', () => {
    // Act
    const template = synthTailguard({ tenants: TENANTS, workers: { cpu: { image } } });

    // Assess
    const variable = { Name: ENV.tenants, Value: JSON.stringify(TENANTS) };
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([variable]) })],
    });
    for (const route of [
      '^POST /jobs:',
      '^POST /jobs/batch',
      '^GET /tenants:',
      '^PUT /tenants/',
      '^DELETE /tenants/',
    ]) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(route),
        Environment: { Variables: Match.objectLike({ [ENV.tenants]: JSON.stringify(TENANTS) }) },
      });
    }
    expect(() => synthTailguard({ local: true, tenants: { overrides: { acme: { concurrency: 0 } } } })).toThrow(
      /tailguard:tenants.overrides.acme.concurrency/,
    );
    expect(() => synthTailguard({ local: true, tenants: { overrides: { 'a b': {} } } })).toThrow(
      /tailguard:tenants.overrides/,
    );
  });
});
