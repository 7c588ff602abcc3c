/** An attempt's recorded run, as the job view (`attemptHistory`) and the stored job (`attemptLog`) have it. */
interface AttemptRun {
  startedAt: string;
  finishedAt?: string | null;
}

/** The most attempts running at one instant, from every attempt's recorded start and finish. */
export function mostAtOnce(attempts: AttemptRun[]): number {
  return peak(attempts).most;
}

/** The attempts running at the first instant the most ran at once: what a failed limit assertion prints. */
export function atPeak<A extends AttemptRun>(attempts: A[]): string {
  const { at } = peak(attempts);
  const running = attempts.filter((a) => Date.parse(a.startedAt) <= at && Date.parse(a.finishedAt ?? a.startedAt) > at);
  return `running at ${new Date(at).toISOString()}: ${JSON.stringify(running)}`;
}

function peak(attempts: AttemptRun[]): { most: number; at: number } {
  const edges = attempts.flatMap((attempt) => [
    { at: Date.parse(attempt.startedAt), change: 1 },
    { at: Date.parse(attempt.finishedAt ?? attempt.startedAt), change: -1 },
  ]);
  // A finish and a start in the same millisecond did not overlap: the slot is given back after the finish is written.
  edges.sort((a, b) => a.at - b.at || a.change - b.change);
  let running = 0;
  let most = { most: 0, at: Number.NaN };
  for (const { at, change } of edges) {
    running += change;
    if (running > most.most) most = { most: running, at };
  }
  return most;
}
