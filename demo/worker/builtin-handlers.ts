import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { MAX_SPAWN_CHILDREN } from '../../src/jobs/workflows/index.ts';
import { HandlerRegistry, type JobHandler, NonRetryableError } from '../../workers/index.ts';

/** Parses a payload or fails the job for good: a payload that is wrong now stays wrong. */
function payloadOf<T extends z.ZodType>(schema: T, payload: unknown): z.output<T> {
  const parsed = schema.safeParse(payload ?? {});
  if (!parsed.success) throw new NonRetryableError(`invalid payload: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const SleepPayload = z.object({ ms: z.number().int().min(0).max(3_600_000) });
const FlakyPayload = z.object({ failures: z.number().int().min(0).max(100) });
const EffectPayload = z.object({ effectsTable: z.string().min(3).max(255).optional() });

/** Does nothing: measures the queue itself. */
export const noop: JobHandler = async () => ({ ok: true });

/** Returns its payload as its result, whatever its size: large payloads and results end to end. */
export const echo: JobHandler = async (payload) => payload;

/** Returns what its context tells a handler of the attempt: the handler context end to end. */
export const whoami: JobHandler = async (_payload, { jobId, type, tenant, attempt }) => ({
  jobId,
  type,
  tenant,
  attempt,
});

/** A workflow step that returns its payload and its parents' outcomes by step name (docs/workflows.md). */
export const collect: JobHandler = async (payload, { parents }) => ({
  payload: payload ?? null,
  parents: parents ?? {},
});

const SplitPayload = z.object({
  n: z.number().int().min(1).max(MAX_SPAWN_CHILDREN),
  /** The children's type: `square` unless a test wants them to fail (`poison`). */
  childType: z.string().default('square'),
});
const SquarePayload = z.object({ x: z.number() });
const SquareResult = z.object({ x2: z.number() });

/**
 * Spawns `{n}` `square` children (or `childType`), `{x: i}` for i in 0..n-1, and a `sum` join:
 * a fan-out and its join end to end.
 */
export const split: JobHandler = async (payload, { spawn }) => {
  const { n, childType } = payloadOf(SplitPayload, payload);
  spawn({
    children: Array.from({ length: n }, (_, x) => ({ type: childType, payload: { x } })),
    join: { type: 'sum' },
  });
  return { spawned: n };
};

/** Returns `{x2: x*x}`: a spawned child. */
export const square: JobHandler = async (payload) => {
  const { x } = payloadOf(SquarePayload, payload);
  return { x2: x * x };
};

/** A spawn's join: `{total}`, the sum of its children's `x2`; a child that did not succeed fails it for good. */
export const sum: JobHandler = async (_payload, { children }) => {
  if (!children) throw new NonRetryableError('sum is the join of a spawn (see split)');
  let total = 0;
  for await (const child of children()) {
    if (child.status !== 'SUCCEEDED') throw new NonRetryableError(`child ${child.index} is ${child.status}`);
    total += SquareResult.parse(child.result).x2;
  }
  return { total };
};

/** The slowness injected into each attempt as it starts (1 = none): the demo worker's `FaultInjector`. */
export interface AttemptFaults {
  attemptSlowdown(): number;
}

const NO_FAULTS: AttemptFaults = { attemptSlowdown: () => 1 };

/**
 * Sleeps `{ms}` (times the slowdown `faults` draws for the attempt), reporting progress as it goes
 * and stopping early when the attempt is aborted.
 */
export function sleepHandler(faults: AttemptFaults = NO_FAULTS): JobHandler {
  return async (payload, { signal, reportProgress }) => {
    const { ms } = payloadOf(SleepPayload, payload);
    const total = ms * faults.attemptSlowdown();
    const steps = Math.max(1, Math.min(20, Math.floor(total / 50)));
    for (let step = 1; step <= steps; step++) {
      await sleep(total / steps, undefined, { signal });
      reportProgress(step / steps);
    }
    return { sleptMs: ms };
  };
}

/** Fails its first `{failures}` attempts with a retryable error, then succeeds. */
export const flaky: JobHandler = async (payload, { attempt }) => {
  const { failures } = payloadOf(FlakyPayload, payload);
  if (attempt <= failures) throw new Error(`flaky failure ${attempt} of ${failures}`);
  return { succeededOnAttempt: attempt };
};

/** Always fails with a retryable error: exercises backoff and dead-lettering. */
export const fail: JobHandler = async (_payload, { attempt }) => {
  throw new Error(`fail handler failed attempt ${attempt}`);
};

/** Fails with a non-retryable error: the job goes straight to DEAD. */
export const poison: JobHandler = async () => {
  throw new NonRetryableError('poison job: refusing to run');
};

/**
 * With `{effectsTable}` in the payload, a successful run also adds 1 to `commits` of the row
 * `{jobId}` in that table, as a transactional effect: how tests prove each job's side effect is
 * committed exactly once, whatever happens to its attempts.
 */
export function recordingEffect(handler: JobHandler): JobHandler {
  return async (payload, context) => {
    const result = await handler(payload, context);
    const { effectsTable } = payloadOf(EffectPayload, payload);
    if (effectsTable) {
      context.effects.add({
        Update: {
          TableName: effectsTable,
          Key: { jobId: context.jobId },
          UpdateExpression: 'ADD commits :one',
          ExpressionAttributeValues: { ':one': 1 },
        },
      });
    }
    return result;
  };
}

/** The built-in handlers for demos and tests; `sleep` runs as slow as `faults` say. */
export function builtinHandlers(faults: AttemptFaults = NO_FAULTS): HandlerRegistry {
  return new HandlerRegistry()
    .register('noop', recordingEffect(noop))
    .register('echo', echo)
    .register('whoami', whoami)
    .register('collect', collect)
    .register('split', split)
    .register('square', square)
    .register('sum', sum)
    .register('sleep', recordingEffect(sleepHandler(faults)))
    .register('flaky', recordingEffect(flaky))
    .register('fail', fail)
    .register('poison', poison);
}
