import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askForCapacity, consumedUnits, requestTotals, tracedWorkerCommand, usageBetween } from './request-trace.ts';

// Two GetItem calls and a PutItem to a stand-in DynamoDB, from a process with the trace preloaded as workers get it.
const SCRIPT = `
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({ endpoint: process.env.ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
for (let i = 0; i < 2; i++) await client.send(new GetItemCommand({ TableName: 'jobs', Key: { id: { S: String(i) } } }));
const put = await client.send(new PutItemCommand({ TableName: 'jobs', Item: { id: { S: 'x' } } }));
if (put.ConsumedCapacity?.CapacityUnits !== 2) throw new Error('the SDK did not get the answer the trace read');
`;

describe('request trace', () => {
  /** Bodies the stand-in received. */
  const received: string[] = [];
  // Answers as DynamoDB does when asked for capacity: a read 0.5 units, a write 2.
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    received.push(body);
    response.setHeader('content-type', 'application/x-amz-json-1.0');
    const units = String(request.headers['x-amz-target']).endsWith('.GetItem') ? 0.5 : 2;
    response.end(JSON.stringify({ ConsumedCapacity: { TableName: 'jobs', CapacityUnits: units } }));
  });
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(() => void server.close());

  it("counts a preloaded process's AWS requests and capacity units by operation, written when it exits", async () => {
    // Prepare
    const dir = mkdtempSync(`${tmpdir()}/request-trace-`);
    const [node, ...args] = tracedWorkerCommand(dir);
    // Act: the worker command's preloads, the script instead of the worker.
    await promisify(execFile)(node!, [...args.slice(0, -1), '--input-type=module', '-e', SCRIPT], {
      env: { ...process.env, ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    });
    // Assess
    expect(requestTotals(dir)).toEqual({
      GetItem: { count: 2, ms: expect.any(Number), units: 1 },
      PutItem: { count: 1, ms: expect.any(Number), units: 2 },
    });
    expect(received.every((body) => JSON.parse(body).ReturnConsumedCapacity === 'TOTAL')).toBe(true);
  });

  it('asks for capacity unless the request asked already, and reads the units of one table or several', () => {
    // Act
    const asked = JSON.parse(askForCapacity('{"TableName":"jobs"}'));
    const kept = JSON.parse(askForCapacity('{"ReturnConsumedCapacity":"INDEXES"}'));
    // Assess
    expect(asked).toEqual({ ReturnConsumedCapacity: 'TOTAL', TableName: 'jobs' });
    expect(kept.ReturnConsumedCapacity).toBe('INDEXES');
    expect(consumedUnits('{"ConsumedCapacity":{"CapacityUnits":3}}')).toBe(3);
    expect(consumedUnits('{"ConsumedCapacity":[{"CapacityUnits":2},{"CapacityUnits":4}]}')).toBe(6);
    expect(consumedUnits('{"__type":"ConditionalCheckFailedException"}')).toBe(0);
    expect(consumedUnits('not json')).toBe(0);
  });

  it('splits the requests between two totals by service, their units into write and read units, and sums their time', () => {
    // Prepare
    const before = { GetItem: { count: 1, ms: 1, units: 1 }, UpdateItem: { count: 2, ms: 1, units: 2 } };
    const after = {
      GetItem: { count: 3, ms: 3, units: 2 },
      UpdateItem: { count: 5, ms: 4, units: 8 },
      SendMessage: { count: 4, ms: 2, units: 0 },
      ReceiveMessage: { count: 1, ms: 1000, units: 0 },
    };
    // Act
    const usage = usageBetween(before, after);
    // Assess
    expect(usage).toEqual({
      byOperation: { GetItem: 2, UpdateItem: 3, SendMessage: 4, ReceiveMessage: 1 },
      requests: 10,
      sqsRequests: 5,
      writeUnits: 6,
      readUnits: 1,
      // A long poll's wait is left out.
      awaitedMs: 7,
    });
  });
});
