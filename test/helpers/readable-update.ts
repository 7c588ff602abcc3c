import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';

/** The update as DynamoDB reads it, placeholders resolved: assignments by path, removed paths, the condition. */
export function readable(
  input: Pick<
    UpdateCommandInput,
    'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  >,
) {
  const values = input.ExpressionAttributeValues ?? {};
  const names = (text: string) => text.replace(/#\w+/g, (p) => input.ExpressionAttributeNames?.[p] ?? p);
  const text = (expression: string) => names(expression).replace(/:\w+/g, (p) => JSON.stringify(values[p]));
  const [, assignments = '', removals = ''] =
    /^(?:SET (.*?))?(?: ?REMOVE (.*))?$/.exec(input.UpdateExpression ?? '') ?? [];
  const set = Object.fromEntries(
    assignments
      .split(/, (?![^(]*\))/)
      .filter(Boolean)
      .map((assignment) => {
        const [path = '', value = ''] = assignment.split(' = ');
        return [names(path), /^:\w+$/.test(value) ? values[value] : text(value)];
      }),
  );
  return {
    set,
    remove: removals.split(', ').filter(Boolean).map(names),
    condition: text(input.ConditionExpression ?? ''),
  };
}
