import type { HandlerRegistry } from '../../workers/index.ts';
import { builtinHandlers } from './builtin-handlers.ts';

/**
 * The job types this deployment's workers run. Register your handlers here; the built-ins
 * (noop, sleep, flaky, fail, poison) stay for smoke tests and benchmarks.
 *
 *   registry.register('thumbnail', async (payload, { signal, logger }) => { ... return { url } });
 */
export const registry: HandlerRegistry = builtinHandlers();
