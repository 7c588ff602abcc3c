export { JobDispatcher, MAX_SQS_DELAY_SECONDS } from './job-dispatcher.ts';
export { encodeJobMessage, parseJobMessage } from './job-message.ts';
export { QueueTopologySchema, queueAddress, queueTopologyFromEnv, queuesOfClass, requireEnv } from './queue-topology.ts';
export type { QueueTopology } from './queue-topology.ts';
export { ScheduledStartSchema, scheduleName } from './scheduled-start.ts';
export { SCHEDULE_LEAD_SECONDS, StartScheduler, deleteStartSchedule } from './start-scheduler.ts';
