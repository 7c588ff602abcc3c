export {
  canonicalTimeZone,
  type Expression,
  ExpressionError,
  fireTimesAfter,
  parseCron,
  parseExpression,
  parseRate,
} from './expression.ts';
export {
  type Fire,
  type FireDeps,
  type FireOutcome,
  FireSchema,
  fireInput,
  fireKey,
  fireSchedule,
  SCHEDULED_TIME_PLACEHOLDER,
} from './fire.ts';
export { FIRES_KEPT, FireLog, type FireRecord } from './fire-log.ts';
export {
  FIRE_RETRY_POLICY,
  type FireTarget,
  fireTarget,
  RECURRING_PREFIX,
  ScheduleRegistry,
  type StoredSchedule,
} from './schedule-registry.ts';
export {
  type JobTemplate,
  JobTemplateSchema,
  MAX_SCHEDULE_PAYLOAD_BYTES,
  OVERLAP_POLICIES,
  type OverlapPolicy,
  ScheduleNameSchema,
  type ScheduleRequest,
  type ScheduleRequestInput,
  ScheduleRequestSchema,
} from './schedule-request.ts';
export {
  createSchedule,
  deleteSchedule,
  listSchedules,
  nextFireTimes,
  pauseSchedule,
  type ScheduleDeps,
  type ScheduleView,
  scheduleJobs,
  scheduleView,
} from './schedules.ts';
