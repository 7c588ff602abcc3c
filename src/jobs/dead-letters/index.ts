export { DeadLetterQuerySchema, listDeadJobs, RedriveRequestSchema, redriveDeadLetters } from './dead-letters.ts';
export { requeueById } from './requeue-job.ts';
