export { JOB_MISSING, cancelRunning, claim, fail, liveLeases, openAttempts, release, succeed } from './attempts.ts';
export type { Attempt, ClaimDecision } from './attempts.ts';
