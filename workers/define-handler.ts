import type { z } from 'zod';
import { NonRetryableError } from '../src/jobs/model/index.ts';
import type { JobContext, JobHandler } from './job-handler.ts';

export interface HandlerDefinition<Payload, Result> {
  /**
   * Checks and types the payload before `run` sees it. A payload that fails it ends the job DEAD at
   * once (NonRetryableError naming each field): the same input can never pass on a retry.
   * @default no check: `run` gets the payload as sent (`unknown`)
   */
  payload?: z.ZodType<Payload>;
  /** Does the job: returns a JSON-serializable result (≤ 256 KiB) or throws (see NonRetryableError). */
  run: (payload: Payload, context: JobContext) => Promise<Result> | Result;
}

/** A job handler with a typed payload: `defineHandler({ payload: z.object({ name: z.string() }), run: ({ name }) => ... })`. */
export function defineHandler<Payload = unknown, Result = unknown>(
  definition: HandlerDefinition<Payload, Result>,
): JobHandler {
  return async (payload, context) => {
    if (!definition.payload) return definition.run(payload as Payload, context);
    const parsed = definition.payload.safeParse(payload);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${['payload', ...issue.path].join('.')}: ${issue.message}`);
      throw new NonRetryableError(`invalid payload for ${context.type}: ${problems.join('; ')}`);
    }
    return definition.run(parsed.data, context);
  };
}
