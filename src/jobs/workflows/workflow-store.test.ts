import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, conditionFailed, queued } from '../../../test/helpers/store-fixtures.ts';
import type { StepItem } from './workflow.ts';
import { WorkflowStore } from './workflow-store.ts';

const db = mockClient(DynamoDBDocumentClient);
const workflows = new WorkflowStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'jobs');
const NOW = '2030-01-01T00:00:00.000Z';

beforeEach(() => {
  db.reset();
  db.onAnyCommand().resolves({});
});

describe('WorkflowStore', () => {
  it('writes only the steps that do not exist yet, and returns those it wrote', async () => {
    // Prepare
    db.on(PutCommand, { Item: { id: 'wf#w1#s.0' } }).rejects(conditionFailed());
    const steps = ['s.0', 's.1'].map((name) => ({ id: `wf#w1#${name}`, name }) as StepItem);
    // Act
    const created = await workflows.putStepsOnce(steps);
    // Assess
    expect(created.map((step) => step.name)).toEqual(['s.1']);
    expect(db.commandCalls(PutCommand).map((call) => call.args[0].input.ConditionExpression)).toEqual([
      'attribute_not_exists(id)',
      'attribute_not_exists(id)',
    ]);
  });

  it('records a spawn page done with a set ADD on the spawning step', async () => {
    // Act
    await workflows.markPageSpawned('w1', 'split', 2, NOW);
    // Assess
    expect(db.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      Key: { id: 'wf#w1#split' },
      UpdateExpression: 'ADD spawnedPages :page SET updatedAt = :now',
      ExpressionAttributeValues: { ':page': new Set([2]) },
    });
  });

  it("tells a child of a parent's end with set ADDs, which count a repeat once, and returns the child", async () => {
    // Prepare
    db.on(UpdateCommand).resolves({ Attributes: { name: 'd', finishedParents: new Set(['b', 'c']) } });
    // Act
    const child = await workflows.tellChild('w1', 'd', 'c', false, NOW);
    // Assess
    const { input } = db.commandCalls(UpdateCommand)[0]!.args[0];
    expect(input).toMatchObject({
      Key: { id: 'wf#w1#d' },
      UpdateExpression: 'ADD finishedParents :parent, failedParents :parent SET updatedAt = :now',
      ExpressionAttributeValues: { ':parent': new Set(['c']), ':now': NOW },
      ReturnValues: 'ALL_NEW',
    });
    expect(child.finishedParents).toEqual(new Set(['b', 'c']));
  });

  it("records which join told a child of its spawning parent's end, beside the parent", async () => {
    // Act
    await workflows.tellChild('w1', 'after', 'split', true, NOW, 'split.join');
    // Assess
    expect(db.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      UpdateExpression: 'ADD finishedParents :parent, joinedParents :joined SET updatedAt = :now',
      ExpressionAttributeValues: { ':parent': new Set(['split']), ':joined': new Set(['split=split.join']) },
    });
  });

  it('moves a step only from the statuses the lifecycle allows', async () => {
    // Act
    await workflows.setStepStatus('w1', 'b', 'SKIPPED', NOW);
    // Assess
    const { input } = db.commandCalls(UpdateCommand)[0]!.args[0];
    expect(input.ConditionExpression).toBe('#status IN (:from0)');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':to': 'SKIPPED', ':from0': 'PENDING' });
  });

  it('answers false when the step had moved', async () => {
    db.on(UpdateCommand).rejects(conditionFailed());
    await expect(workflows.setStepStatus('w1', 'b', 'SKIPPED', NOW)).resolves.toBe(false);
  });

  it("starts a step in one transaction: its job if new, its move from PENDING, its workflow's open check", async () => {
    // Act
    const outcome = await workflows.startStep(queued, 'w1', 'b', NOW);
    // Assess
    expect(outcome).toBe('started');
    const [job, step, check] = db.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(job!.Put).toMatchObject({ Item: { id: queued.id }, ConditionExpression: 'attribute_not_exists(id)' });
    expect(step!.Update).toMatchObject({ Key: { id: 'wf#w1#b' }, ConditionExpression: '#status IN (:from0)' });
    expect(check!.ConditionCheck).toMatchObject({
      Key: { id: 'wf#w1' },
      ConditionExpression: '#status = :running AND attribute_not_exists(cancelRequested)',
    });
  });

  it.each([
    [['ConditionalCheckFailed', 'None', 'None'], 'jobExists'],
    [['None', 'ConditionalCheckFailed', 'None'], 'stepMoved'],
    [['None', 'None', 'ConditionalCheckFailed'], 'workflowClosed'],
  ])('reads a cancelled start (%j) as %s', async (codes, outcome) => {
    db.on(TransactWriteCommand).rejects(cancelled(...codes));
    await expect(workflows.startStep(queued, 'w1', 'b', NOW)).resolves.toBe(outcome);
  });

  it('ends a workflow once, out of the index of open workflows', async () => {
    // Act
    await workflows.finish('w1', 'FAILED', NOW);
    // Assess
    const { input } = db.commandCalls(UpdateCommand)[0]!.args[0];
    expect(input.UpdateExpression).toBe('SET #status = :to, updatedAt = :now, finishedAt = :now REMOVE statusShard');
    expect(input.ConditionExpression).toBe('#status = :running');
  });
});
