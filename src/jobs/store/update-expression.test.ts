import { describe, expect, it } from 'vitest';
import { UpdateExpressionBuilder } from './update-expression.ts';

describe('UpdateExpressionBuilder', () => {
  it('puts every name and value behind a placeholder', () => {
    const update = new UpdateExpressionBuilder().set('status', 'RUNNING');

    expect(update.build()).toEqual({
      UpdateExpression: 'SET #n0 = :v0',
      ExpressionAttributeNames: { '#n0': 'status' },
      ExpressionAttributeValues: { ':v0': 'RUNNING' },
    });
  });

  it('gives a name used twice one placeholder, and each value its own', () => {
    const update = new UpdateExpressionBuilder().set('status', 'QUEUED');
    update.when(update.equals('status', 'RUNNING'));

    expect(update.build()).toEqual({
      UpdateExpression: 'SET #n0 = :v0',
      ConditionExpression: '#n0 = :v1',
      ExpressionAttributeNames: { '#n0': 'status' },
      ExpressionAttributeValues: { ':v0': 'QUEUED', ':v1': 'RUNNING' },
    });
  });

  it('appends to a list, sets only a missing value, and tests membership and bounds', () => {
    const update = new UpdateExpressionBuilder()
      .append('attemptLog', [{ attempt: 1 }])
      .setIfMissing('startedAt', 'now');
    update.when(update.isOneOf('status', ['QUEUED', 'RETRYING']), update.atMost('runAt', 'now'));

    expect(update.build()).toEqual({
      UpdateExpression: 'SET #n0 = list_append(#n0, :v0), #n1 = if_not_exists(#n1, :v1)',
      ConditionExpression: '#n2 IN (:v2, :v3) AND #n3 <= :v4',
      ExpressionAttributeNames: { '#n0': 'attemptLog', '#n1': 'startedAt', '#n2': 'status', '#n3': 'runAt' },
      ExpressionAttributeValues: {
        ':v0': [{ attempt: 1 }],
        ':v1': 'now',
        ':v2': 'QUEUED',
        ':v3': 'RETRYING',
        ':v4': 'now',
      },
    });
  });

  it('reads dotted paths and list positions as nesting', () => {
    const update = new UpdateExpressionBuilder().set('leases.c1.expiresAt', 5).set('attemptLog[3].outcome', 'lost');

    const built = update.build();

    expect(built.UpdateExpression).toBe('SET #n0.#n1.#n2 = :v0, #n3[3].#n4 = :v1');
    expect(built.ExpressionAttributeNames).toEqual({
      '#n0': 'leases',
      '#n1': 'c1',
      '#n2': 'expiresAt',
      '#n3': 'attemptLog',
      '#n4': 'outcome',
    });
  });

  it('takes path segments as they are, so a key holding a dot stays one name', () => {
    const update = new UpdateExpressionBuilder().remove(['leases', 'a.b']).remove(['attemptLog', 0, 'error']);

    const built = update.build();

    expect(built.UpdateExpression).toBe('REMOVE #n0.#n1, #n2[0].#n3');
    expect(built.ExpressionAttributeNames).toEqual({
      '#n0': 'leases',
      '#n1': 'a.b',
      '#n2': 'attemptLog',
      '#n3': 'error',
    });
  });

  it('writes SET before REMOVE whatever the order of the calls', () => {
    const update = new UpdateExpressionBuilder().remove('runAt').set('status', 'RUNNING');

    expect(update.build().UpdateExpression).toBe('SET #n1 = :v0 REMOVE #n0');
  });

  it('adds to an existing number without a default, so a missing one fails the write', () => {
    const update = new UpdateExpressionBuilder().add('version', 1);

    expect(update.build()).toMatchObject({
      UpdateExpression: 'SET #n0 = #n0 + :v0',
      ExpressionAttributeValues: { ':v0': 1 },
    });
  });

  it('increments a counter from zero when it does not exist yet', () => {
    const update = new UpdateExpressionBuilder().increment('redispatches');

    expect(update.build()).toMatchObject({
      UpdateExpression: 'SET #n0 = if_not_exists(#n0, :v0) + :v1',
      ExpressionAttributeValues: { ':v0': 0, ':v1': 1 },
    });
  });

  it('ANDs the conditions of every `when` and groups anyOf and allOf in parentheses', () => {
    const update = new UpdateExpressionBuilder().set('speculation', {});
    update.when(update.equals('status', 'RUNNING'), update.exists(['leases', 'c1']));
    update.when(
      update.anyOf(
        update.notExists('speculation'),
        update.allOf(update.lessThan('speculation.requestedAt', 10), update.notExists('speculation.claimedBy')),
      ),
    );

    expect(update.build().ConditionExpression).toBe(
      '#n1 = :v1 AND attribute_exists(#n2.#n3) AND (attribute_not_exists(#n0) OR (#n0.#n4 < :v2 AND attribute_not_exists(#n0.#n5)))',
    );
  });

  it('leaves out the condition and the value map when there are none, as DynamoDB rejects empty ones', () => {
    const built = new UpdateExpressionBuilder().remove('speculation').build();

    expect(built).toEqual({ UpdateExpression: 'REMOVE #n0', ExpressionAttributeNames: { '#n0': 'speculation' } });
  });
});
