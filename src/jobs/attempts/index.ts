export type { Attempt, ClaimDecision } from './attempts.ts';
export {
  cancelRunning,
  claim,
  fail,
  JOB_MISSING,
  liveLeases,
  mayRunBackup,
  openAttempts,
  release,
  startFromMessage,
  succeed,
} from './attempts.ts';
