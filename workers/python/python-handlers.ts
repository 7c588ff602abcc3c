import { Logger } from '@aws-lambda-powertools/logger';
import type { HandlerRegistry } from '../job-handler.ts';
import { PythonPool } from './python-pool.ts';
import type { PythonProcessOptions } from './python-process.ts';

export interface PythonHandlerOptions extends Omit<PythonProcessOptions, 'cancelGraceMs'> {
  /** Processes kept running; each runs one job at a time, so match the worker's concurrency. @default 1 */
  processes?: number;
  /** How long a cancelled job's handler has to stop before its process is killed and replaced. @default 5000 */
  cancelGraceMs?: number;
  /** Logs processes ending and restarting (a job's own messages go to its logger). @default a logger of its own */
  logger?: Logger;
}

export interface PythonHandlers {
  /** The job types the Python processes serve, as registered. */
  readonly types: readonly string[];
  /** Stops the processes: running jobs are cancelled and get the cancel grace. Call it on worker shutdown. */
  close(): Promise<void>;
}

/**
 * Starts long-lived Python handler processes (sdk/python) and registers a handler for each job
 * type they serve. The worker keeps the claim, lease, heartbeats, speculation and commit; each job
 * runs in an idle process, with its progress and logs passed back and its abort passed on as a cancel.
 * Resolves once every process is ready (its handler module imported, models loaded).
 */
export async function pythonHandlers(
  registry: HandlerRegistry,
  options: PythonHandlerOptions,
): Promise<PythonHandlers> {
  const {
    processes = 1,
    cancelGraceMs = 5000,
    logger = new Logger({ serviceName: 'tailguard-python' }),
    ...rest
  } = options;
  if (!Number.isInteger(processes) || processes < 1)
    throw new RangeError(`processes must be a positive integer, not ${processes}`);
  const pool = new PythonPool({ ...rest, cancelGraceMs, processes }, logger);
  const types = await pool.start();
  try {
    // A stored payload reaches Python as a file the SDK reads, never as JSON through the pipe.
    for (const type of types)
      registry.register(type, (payload, context) => pool.run(type, payload, context), { payloadFile: true });
  } catch (error) {
    await pool.close();
    throw error;
  }
  return { types, close: () => pool.close() };
}
