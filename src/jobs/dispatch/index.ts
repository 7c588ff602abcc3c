export { type DispatchQueues, JobDispatcher, MAX_SQS_DELAY_SECONDS } from './job-dispatcher.ts';
export { encodeJobMessage, type JobMessage, parseJobMessage } from './job-message.ts';
export {
  type CheckedJob,
  encodeMessageCheck,
  MAX_JOBS_PER_CHECK,
  type MessageCheck,
  parseMessageCheck,
} from './message-check.ts';
export type { QueueTopology } from './queue-topology.ts';
export { QueueTopologySchema, queueAddress, queuesOfClass } from './queue-topology.ts';
export { ScheduledStartSchema, scheduleName } from './scheduled-start.ts';
export { deleteStartSchedule, SCHEDULE_LEAD_SECONDS, StartScheduler } from './start-scheduler.ts';
