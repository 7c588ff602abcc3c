import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** AWS requests by operation (`GetItem`, `ReceiveMessage`…): how many, and their time in all. */
export type RequestTotals = Record<string, { count: number; ms: number }>;

/** Where traced processes write their totals; a process without it traces nothing. */
const DIR_VARIABLE = 'TAILGUARD_REQUEST_TRACE_DIR';

/**
 * Preloaded into worker processes (`--import`, see `tracedWorkerCommand`): counts every AWS
 * request the process sends, through the SDK's Node HTTP handler that every v3 client uses,
 * and rewrites its running totals to `<dir>/<pid>.json` each second they changed, and at exit.
 */
const dir = process.env[DIR_VARIABLE];
if (dir) {
  const totals: RequestTotals = {};
  let changed = false;
  const handle = NodeHttpHandler.prototype.handle;
  NodeHttpHandler.prototype.handle = async function (this: NodeHttpHandler, request, options) {
    // JSON protocols (DynamoDB, SQS) name the operation in this header: `DynamoDB_20120810.GetItem`.
    const operation = request.headers['x-amz-target']?.split('.').pop() ?? 'other';
    const started = performance.now();
    try {
      return await handle.call(this, request, options);
    } finally {
      add(totals, operation, 1, performance.now() - started);
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
    for (const [operation, { count, ms }] of Object.entries(totals)) add(sum, operation, count, ms);
  }
  return sum;
}

function add(totals: RequestTotals, operation: string, count: number, ms: number): void {
  const total = totals[operation] ?? { count: 0, ms: 0 };
  totals[operation] = { count: total.count + count, ms: total.ms + ms };
}
