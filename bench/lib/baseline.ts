import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { mapLimit } from '../../test/helpers/map-limit.ts';

export interface BaselineOptions {
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  jobs: number;
  producers: number;
  consumers: number;
  consumerConcurrency: number;
  progress: (label: string, total: number) => { tick(): void; done(): void };
}

/**
 * The least an SQS + DynamoDB job queue can do per job, on a queue and table of its own:
 * producer PutItem + SendMessage; consumer receive → mark running → mark done → delete.
 */
export async function runBaseline(
  o: BaselineOptions,
): Promise<{ endToEndMs: number[]; jobsPerSecond: number; seconds: number }> {
  const name = `tailguard-baseline-${Date.now()}`;
  const { QueueUrl } = await o.sqs.send(new CreateQueueCommand({ QueueName: name }));
  await o.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client: o.dynamodb, maxWaitTime: 60 }, { TableName: name });
  try {
    const endToEndMs: number[] = [];
    const created = new Map<string, number>();
    let remaining = o.jobs;
    const consumed = o.progress('baseline finished', o.jobs);
    const started = Date.now();
    let lastDone = started;
    const consume = async () => {
      while (remaining > 0) {
        const { Messages = [] } = await o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: Math.min(10, o.consumerConcurrency),
            WaitTimeSeconds: 1,
            VisibilityTimeout: 30,
          }),
        );
        await Promise.all(
          Messages.map(async (m) => {
            const id = m.Body!;
            const key = { id: { S: id } };
            await o.dynamodb.send(
              new UpdateItemCommand({
                TableName: name,
                Key: key,
                UpdateExpression: 'SET #s = :r',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':r': { S: 'RUNNING' } },
              }),
            );
            await o.dynamodb.send(
              new UpdateItemCommand({
                TableName: name,
                Key: key,
                UpdateExpression: 'SET #s = :d',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':d': { S: 'SUCCEEDED' } },
              }),
            );
            await o.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
            lastDone = Date.now();
            endToEndMs.push(lastDone - created.get(id)!);
            remaining--;
            consumed.tick();
          }),
        );
      }
    };
    const consumers = Array.from({ length: o.consumers }, consume);
    await mapLimit(
      Array.from({ length: o.jobs }, () => randomUUID()),
      o.producers,
      async (id) => {
        created.set(id, Date.now());
        await o.dynamodb.send(
          new PutItemCommand({ TableName: name, Item: { id: { S: id }, status: { S: 'QUEUED' } } }),
        );
        await o.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: id }));
      },
    );
    await Promise.all(consumers);
    consumed.done();
    // Up to the last job done, as Tailguard's span ends at its last finish: the consumers return
    // only when their last long poll (up to a second) comes back empty.
    const seconds = (lastDone - started) / 1000;
    return { endToEndMs, jobsPerSecond: o.jobs / seconds, seconds };
  } finally {
    await o.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    await o.dynamodb.send(new DeleteTableCommand({ TableName: name }));
  }
}
