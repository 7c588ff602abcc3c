import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { createSchedule, ScheduleRequestSchema } from '../../src/jobs/schedules/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { assertKnownType } from '../http/job-request.ts';
import { jsonObjectBody } from '../http/json-body.ts';
import { scheduleDeps } from '../http/schedules.ts';

/** `POST /schedules`: 201 with the new schedule; a bad expression, time zone or job is a 400 and makes nothing. */
export const handler = httpHandler(async (event) => {
  const request = ScheduleRequestSchema.safeParse(jsonObjectBody(event));
  if (!request.success) throw InvalidInputError.fromZod(request.error);
  assertKnownType(request.data.job.type, 'job.type');
  return json(201, await createSchedule(scheduleDeps(), request.data));
});
