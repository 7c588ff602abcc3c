import type { Semaphores } from '../store/index.ts';
import { concurrencyKey, type TypeLimit, type TypeLimits } from './type-limits.ts';

/** A limited type's settings, and for a concurrency limit the attempts holding a slot now. */
export type LimitUsage = TypeLimit & { running?: number };

/** `GET /stats`: every limited type's limits and use; reads the coordination table only for concurrency limits. */
export async function limitUsage(
  limits: TypeLimits,
  semaphores: () => Semaphores,
  now = Date.now(),
): Promise<Record<string, LimitUsage>> {
  const entries = await Promise.all(
    Object.entries(limits).map(async ([type, limit]): Promise<[string, LimitUsage]> => {
      if (limit.concurrency === undefined) return [type, limit];
      return [type, { ...limit, running: await semaphores().liveHolders(concurrencyKey(type), now) }];
    }),
  );
  return Object.fromEntries(entries);
}
