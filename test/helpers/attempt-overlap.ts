/** An attempt's recorded run, as the job view (`attemptHistory`) and the stored job (`attemptLog`) have it. */
interface AttemptRun {
  startedAt: string;
  finishedAt?: string | null;
}

/** The most attempts running at one instant, from every attempt's recorded start and finish. */
export function mostAtOnce(attempts: AttemptRun[]): number {
  const edges = attempts.flatMap((attempt) => [
    { at: Date.parse(attempt.startedAt), change: 1 },
    { at: Date.parse(attempt.finishedAt ?? attempt.startedAt), change: -1 },
  ]);
  // A finish and a start in the same millisecond did not overlap: the slot is given back after the finish is written.
  edges.sort((a, b) => a.at - b.at || a.change - b.change);
  let running = 0;
  let most = 0;
  for (const { change } of edges) {
    running += change;
    most = Math.max(most, running);
  }
  return most;
}
