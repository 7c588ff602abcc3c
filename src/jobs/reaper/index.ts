export { SqsReaperQueues } from './reaper-queues.ts';
export { DEFAULT_REAPER_SETTINGS, reap } from './reaper.ts';
export type { ReaperReport } from './reaper.ts';
