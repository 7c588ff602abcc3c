import { listSchedules } from '../../src/jobs/schedules/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { scheduleDeps } from '../http/schedules.ts';

/** `GET /schedules`: every recurring schedule, by name, with its next fire and latest jobs. */
export const handler = httpHandler(async () => json(200, { items: await listSchedules(scheduleDeps()) }));
