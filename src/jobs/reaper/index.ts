export { CheckRecords, type QueueCheckRecord, type QueueFindings } from './check-records.ts';
export {
  type CheckReview,
  type CheckSettings,
  DEFAULT_CHECK_SETTINGS,
  judgeChecks,
  reviewChecks,
} from './message-checks.ts';
export type { ReaperReport } from './reaper.ts';
export { DEFAULT_REAPER_INTERVAL_MS, DEFAULT_REAPER_SETTINGS, reap } from './reaper.ts';
export { type CheckQueue, SqsCheckQueue, SqsReaperQueues } from './reaper-queues.ts';
