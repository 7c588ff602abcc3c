import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Tries in all, the first one included. */
  tries: number;
  /** Scale of the pause before try n + 1: a random time up to `pauseMs` × 2ⁿ. @default 50 */
  pauseMs?: number;
  /** Errors worth another try; any other is thrown at once. @default every error */
  retryable?: (error: unknown) => boolean;
}

/**
 * The one retry loop for AWS calls that may leave part of their work undone (unprocessed keys,
 * refused batch entries, a conflicting transaction): `send` gets the items still left and returns
 * those it left again; a retryable error leaves them all. Pauses between tries are full-jitter
 * exponential, as the SDK's own retries. Returns what was still left after the last try, with the
 * last error met (undefined when no try failed outright).
 */
export async function retryLeftovers<T>(
  items: readonly T[],
  send: (left: readonly T[]) => Promise<readonly T[]>,
  { tries, pauseMs = 50, retryable = () => true }: RetryOptions,
): Promise<{ left: readonly T[]; error?: unknown }> {
  let left = items;
  let error: unknown;
  for (let attempt = 1; left.length > 0; attempt++) {
    try {
      left = await send(left);
    } catch (thrown) {
      if (!retryable(thrown)) throw thrown;
      error = thrown;
    }
    if (left.length === 0 || attempt >= tries) break;
    await sleep(Math.random() * pauseMs * 2 ** attempt);
  }
  return { left, error };
}
