/**
 * AWS's batch APIs take a fixed number of entries a request (SQS 10, BatchWriteItem 25): split
 * work into such chunks, and run the requests a few at a time so a big batch is quick without
 * being throttled.
 */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Runs `calls` at most `parallel` at a time, in order of waves; their results in order. */
export async function inWaves<T>(calls: readonly (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = [];
  for (const wave of chunks(calls, parallel)) results.push(...(await Promise.all(wave.map((call) => call()))));
  return results;
}
