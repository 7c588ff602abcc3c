/** Where window bookkeeping reports a failure it outlives: a Powertools Logger fits. */
export interface FailureLog {
  warn(message: string, details: { error: unknown; [key: string]: unknown }): void;
}

/**
 * Window bookkeeping after the job's own send or write decided its fate — a place given back, a
 * hold uncounted, the release after a hold — must not fail the request: a place frees when its
 * lease ends and the reaper's pass releases held jobs (docs/fairness.md). The failure is logged,
 * so a failing table shows before a held backlog does.
 */
export async function windowFollowUp(
  log: FailureLog | undefined,
  what: string,
  work: Promise<unknown> | undefined,
  context: Record<string, unknown> = {},
): Promise<void> {
  try {
    await work;
  } catch (error) {
    log?.warn(`${what} failed; window leases and the reaper repair it`, { ...context, error });
  }
}
