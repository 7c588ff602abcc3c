import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  type CapacityAnswer,
  capacityUnits,
  DYNAMODB_READS,
  DYNAMODB_WITH_CAPACITY,
} from '../../test/helpers/aws-usage.ts';

/**
 * AWS requests by operation (`GetItem`, `ReceiveMessage`…): how many, their time in all, and the
 * DynamoDB capacity units they consumed as the service reported them (0 for other services).
 */
export type RequestTotals = Record<string, { count: number; ms: number; units: number }>;

/** Where traced processes write their totals; a process without it traces nothing. */
const DIR_VARIABLE = 'TAILGUARD_REQUEST_TRACE_DIR';

/**
 * Preloaded into worker processes (`--import`, see `tracedWorkerCommand`): counts every AWS
 * request the process sends, through the SDK's Node HTTP handler that every v3 client uses,
 * and rewrites its running totals to `<dir>/<pid>.json` each second they changed, and at exit.
 * DynamoDB requests are sent asking for `ReturnConsumedCapacity: TOTAL` (the body changes after
 * signing: fine on the emulator, which checks no signature of its test keys; never on AWS).
 */
const dir = process.env[DIR_VARIABLE];
if (dir) {
  const totals: RequestTotals = {};
  let changed = false;
  const handle = NodeHttpHandler.prototype.handle;
  NodeHttpHandler.prototype.handle = async function (this: NodeHttpHandler, request, options) {
    // JSON protocols (DynamoDB, SQS) name the operation in this header: `DynamoDB_20120810.GetItem`.
    const target = request.headers['x-amz-target'];
    const operation = target?.split('.').pop() ?? 'other';
    const body = target?.startsWith('DynamoDB_') ? textOf(request.body) : undefined;
    const dynamodb = body !== undefined;
    if (dynamodb) {
      request.body = askForCapacity(body);
      const lengthHeader = Object.keys(request.headers).find((name) => name.toLowerCase() === 'content-length');
      request.headers[lengthHeader ?? 'content-length'] = String(Buffer.byteLength(request.body));
    }
    const started = performance.now();
    let units = 0;
    try {
      const answer = await handle.call(this, request, options);
      if (dynamodb) {
        // Read here to find the units; the SDK takes a body already read as bytes.
        const answered = await bytesOf(answer.response.body as Readable);
        answer.response.body = answered;
        units = consumedUnits(answered.toString('utf8'));
      }
      return answer;
    } finally {
      add(totals, operation, { count: 1, ms: performance.now() - started, units });
      changed = true;
    }
  };
  const flush = () => {
    if (!changed) return;
    // Written aside, then renamed: the bench may read the file at any moment.
    writeFileSync(`${dir}/${process.pid}.tmp`, JSON.stringify(totals));
    renameSync(`${dir}/${process.pid}.tmp`, `${dir}/${process.pid}.json`);
    changed = false;
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
}

/** A DynamoDB request body that asks for the capacity it consumes, unless its sender already asked. */
export function askForCapacity(body: string): string {
  const input = JSON.parse(body) as { ReturnConsumedCapacity?: string };
  return JSON.stringify({ ReturnConsumedCapacity: 'TOTAL', ...input });
}

/** The capacity units a DynamoDB answer reports, over every table of it (0 for an error or none). */
export function consumedUnits(body: string): number {
  try {
    return capacityUnits(JSON.parse(body) as CapacityAnswer);
  } catch {
    return 0;
  }
}

/** A JSON request body as text: the SDK hands it over as a string or as bytes. */
function textOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  return body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : undefined;
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/**
 * A worker command that traces its requests into `dir` (emptied here): this repository's demo
 * worker with this module preloaded after tsx.
 */
export function tracedWorkerCommand(dir: string): string[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.env[DIR_VARIABLE] = dir;
  const workerMain = new URL('../../demo/worker/main.ts', import.meta.url).pathname;
  return [process.execPath, '--import', 'tsx', '--import', import.meta.url, workerMain];
}

/** The totals of every traced process so far (each file is at most a second old). */
export function requestTotals(dir: string): RequestTotals {
  const sum: RequestTotals = {};
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const totals = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as RequestTotals;
    for (const [operation, entry] of Object.entries(totals)) add(sum, operation, entry);
  }
  return sum;
}

/**
 * What the requests between two totals used: requests (all, and SQS's), DynamoDB write and read
 * units, and the time the senders waited on them but for `ReceiveMessage`'s (a long poll waits by design).
 */
export function usageBetween(before: RequestTotals, after: RequestTotals): RequestUsage {
  const byOperation: Record<string, number> = {};
  let [sqsRequests, writeUnits, readUnits, awaitedMs] = [0, 0, 0, 0];
  for (const [operation, { count, units, ms }] of Object.entries(after)) {
    const n = count - (before[operation]?.count ?? 0);
    if (n > 0) byOperation[operation] = n;
    // Workers speak to DynamoDB, SQS (both named by x-amz-target) and S3 (`other`).
    if (!DYNAMODB_WITH_CAPACITY.has(operation) && operation !== 'other') sqsRequests += n;
    if (operation !== 'ReceiveMessage') awaitedMs += ms - (before[operation]?.ms ?? 0);
    const spent = units - (before[operation]?.units ?? 0);
    if (DYNAMODB_READS.has(operation)) readUnits += spent;
    else writeUnits += spent;
  }
  const requests = Object.values(byOperation).reduce((sum, n) => sum + n, 0);
  return { byOperation, requests, sqsRequests, writeUnits, readUnits, awaitedMs: Math.round(awaitedMs) };
}

export interface RequestUsage {
  byOperation: Record<string, number>;
  requests: number;
  sqsRequests: number;
  writeUnits: number;
  readUnits: number;
  /** Time spent waiting on the requests, polls (`ReceiveMessage`) left out. */
  awaitedMs: number;
}

function add(totals: RequestTotals, operation: string, entry: RequestTotals[string]): void {
  const total = totals[operation] ?? { count: 0, ms: 0, units: 0 };
  totals[operation] = { count: total.count + entry.count, ms: total.ms + entry.ms, units: total.units + entry.units };
}
