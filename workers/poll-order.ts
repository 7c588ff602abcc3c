/**
 * The order in which a worker polls its priority queues on its `pollNumber`-th receive.
 *
 * Strict priority (highest first) on most receives; on every `guardEvery`-th receive the worker
 * starts with one of the lower priorities instead, taking them in turn. So a saturated `critical`
 * queue delays `low` but never starves it: each lower priority leads at least one receive in
 * `guardEvery * (levels - 1)`.
 */
export function pollOrder<T>(queuesHighestFirst: readonly T[], pollNumber: number, guardEvery: number): T[] {
  const levels = queuesHighestFirst.length;
  if (levels < 2 || guardEvery <= 0 || pollNumber % guardEvery !== 0 || pollNumber === 0)
    return [...queuesHighestFirst];
  const guardTurn = pollNumber / guardEvery;
  const lead = 1 + ((guardTurn - 1) % (levels - 1));
  return [queuesHighestFirst[lead]!, ...queuesHighestFirst.filter((_, i) => i !== lead)];
}
