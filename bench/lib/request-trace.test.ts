import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestTotals, tracedWorkerCommand } from './request-trace.ts';

// Two GetItem calls to a stand-in DynamoDB, from a process with the trace preloaded as workers get it.
const SCRIPT = `
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({ endpoint: process.env.ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
for (let i = 0; i < 2; i++) await client.send(new GetItemCommand({ TableName: 'jobs', Key: { id: { S: String(i) } } }));
`;

describe('request trace', () => {
  const server = createServer((_, response) => {
    response.setHeader('content-type', 'application/x-amz-json-1.0');
    response.end('{}');
  });
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(() => void server.close());

  it("counts a preloaded process's AWS requests by operation, written when it exits", async () => {
    // Prepare
    const dir = mkdtempSync(`${tmpdir()}/request-trace-`);
    const [node, ...args] = tracedWorkerCommand(dir);
    // Act: the worker command's preloads, the script instead of the worker.
    await promisify(execFile)(node!, [...args.slice(0, -1), '--input-type=module', '-e', SCRIPT], {
      env: { ...process.env, ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    });
    // Assess
    expect(requestTotals(dir)).toEqual({ GetItem: { count: 2, ms: expect.any(Number) } });
  });
});
