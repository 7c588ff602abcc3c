import type { SectionName } from './sections.ts';

/** What every HTTP route's function reads: jobs, their queues, far-off starts. */
const API = ['jobStore', 'queues', 'dispatch'] as const;

/**
 * The sections each kind of Tailguard process reads, so what the stack (or the local runtime)
 * writes for it is checked to be complete: `environmentFor(kind, ...)` asks for every one.
 */
export const PROCESS_KINDS = {
  /** An HTTP route's function that touches nothing more. */
  api: API,
  /** Intake counts tenants' capped waiting jobs and keeps their windows in the coordination table. */
  submitJob: [...API, 'intake', 'payloads', 'coordination', 'tenants', 'fairness'],
  /** `GET /jobs/{id}`: a stored result's presigned URL. */
  getJob: [...API, 'payloads'],
  /** `POST /uploads`: presigned PUTs into the payload bucket, within its maximum. */
  createUpload: ['payloads'],
  /** `GET /openapi.json`: the document names the job types intake accepts. */
  openApi: ['intake'],
  /** A cancelled job leaves its tenant's count of waiting jobs (the coordination table). */
  cancelJob: [...API, 'schedules', 'coordination'],
  /** The `/tenants` routes: settings from the props and those stored in the coordination table. */
  tenantsApi: ['coordination', 'tenants'],
  /** `GET /jobs`: running jobs are the ones live workers report; a schedule's jobs are in its fire log. */
  listJobs: [...API, 'workerRegistry', 'coordination'],
  /** The `/schedules` routes: the job types a schedule may submit, the Scheduler group, the fire target, the fire logs. */
  schedulesApi: [...API, 'intake', 'coordination', 'schedules', 'recurringSchedules'],
  /** Makes each fire's job and records it. */
  fireSchedule: ['jobStore', 'queues', 'dispatch', 'coordination', 'recurringSchedules'],
  getStats: [...API, 'workerRegistry', 'coordination', 'typeLimits'],
  startScheduler: ['queues', 'dispatch', 'startScheduler', 'schedules'],
  stragglerDetector: ['jobStore', 'latencyStats', 'workerRegistry', 'coordination', 'queues', 'dispatch', 'detector'],
  /** The reaper releases held jobs no claim released (the windows), and a job it ends before any start leaves its tenant's count of waiting jobs (both in the coordination table). */
  reaper: ['jobStore', 'queues', 'dispatch', 'reaper', 'coordination', 'fairness'],
  /** Reviews of message checks also keep their records in the coordination table. */
  reviewChecks: ['jobStore', 'queues', 'dispatch', 'coordination', 'reaper'],
  worker: [
    'worker',
    'jobStore',
    'latencyStats',
    'workerRegistry',
    'coordination',
    'typeLimits',
    'tenants',
    'fairness',
    'queues',
    'dispatch',
    'payloads',
  ],
} as const satisfies Record<string, readonly SectionName[]>;

export type ProcessKind = keyof typeof PROCESS_KINDS;
export type SectionsOf<P extends ProcessKind> = (typeof PROCESS_KINDS)[P][number];
