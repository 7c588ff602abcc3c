import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';

/** DynamoDB operations whose units are read units; every other one's are write units. */
export const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
/** DynamoDB operations that report the capacity they consumed when asked. */
export const DYNAMODB_WITH_CAPACITY = new Set([
  ...DYNAMODB_READS,
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/**
 * What SDK clients ask of AWS, counted on the way: every request by operation name, and the
 * DynamoDB capacity units each one consumed (table and indexes, as DynamoDB reports them when
 * asked with `ReturnConsumedCapacity: INDEXES`).
 */
export class AwsUsage {
  readonly requests = new Map<string, number>();
  /** Requests by client, e.g. `SQSClient`. */
  readonly byClient = new Map<string, number>();
  writeUnits = 0;
  readUnits = 0;

  /** Instruments `client`: its requests are counted here from now on. */
  count<T extends { middlewareStack: Pick<MiddlewareStack<object, object>, 'add'> }>(client: T): T {
    const count: InitializeMiddleware<object, object> = (next, context) => async (args) => {
      const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
      this.requests.set(name, (this.requests.get(name) ?? 0) + 1);
      const clientName = context.clientName ?? 'unknown';
      this.byClient.set(clientName, (this.byClient.get(clientName) ?? 0) + 1);
      const input = args.input as { ReturnConsumedCapacity?: string };
      if (clientName === 'DynamoDBClient' && DYNAMODB_WITH_CAPACITY.has(name)) input.ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      const units = capacityUnits(result.output as CapacityAnswer);
      if (DYNAMODB_READS.has(name)) this.readUnits += units;
      else this.writeUnits += units;
      return result;
    };
    client.middlewareStack.add(count, { step: 'initialize', name: 'countRequests' });
    return client;
  }

  /** Requests by operation name. */
  get byOperation(): Record<string, number> {
    return Object.fromEntries(this.requests);
  }

  get totalRequests(): number {
    return [...this.requests.values()].reduce((sum, n) => sum + n, 0);
  }
}

/** A DynamoDB answer's `ConsumedCapacity`: one table's, or one per table. */
export type CapacityAnswer = {
  ConsumedCapacity?: Pick<ConsumedCapacity, 'CapacityUnits'> | Pick<ConsumedCapacity, 'CapacityUnits'>[];
};

/** The capacity units a DynamoDB answer reports, over every table of it (0 when none). */
export function capacityUnits(answer: CapacityAnswer): number {
  return [answer.ConsumedCapacity ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}
