/**
 * `tailguard/worker`: run Tailguard jobs with your own handlers.
 *
 *   import { createWorker, defineHandler } from 'tailguard/worker';
 *   await createWorker({ handlers: { greet: defineHandler({ run: ({ name }) => `Hello, ${name}!` }) } }).start();
 */
export { NonRetryableError } from '../src/jobs/model/index.ts';
export { type CreateWorkerOptions, createWorker, type TailguardWorker, type WorkerSettings } from './create-worker.ts';
export { defineHandler, type HandlerDefinition } from './define-handler.ts';
export {
  type ChildOutcome,
  HandlerRegistry,
  type JobContext,
  JobEffects,
  type JobHandler,
  type ParentOutcome,
} from './job-handler.ts';
export { hostPaceProbe, type PaceProbe } from './pace-probe.ts';
export { type PythonHandlerOptions, type PythonHandlers, pythonHandlers } from './python/python-handlers.ts';
