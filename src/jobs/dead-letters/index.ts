export { DeadLetterQuerySchema, RedriveRequestSchema, listDeadJobs, redriveDeadLetters } from './dead-letters.ts';
export { requeueById } from './requeue-job.ts';
