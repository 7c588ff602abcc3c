export type { Attempt, ClaimDecision } from './attempts.ts';
export { cancelRunning, claim, fail, JOB_MISSING, liveLeases, openAttempts, release, succeed } from './attempts.ts';
