import { ScheduleNotFoundError } from '../../src/jobs/model/index.ts';
import { scheduleView } from '../../src/jobs/schedules/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { scheduleDeps, scheduleNameParameter } from '../http/schedules.ts';

/** `GET /schedules/{name}`: the schedule, its next fire times and its latest fires. */
export const handler = httpHandler(async (event) => {
  const name = scheduleNameParameter(event);
  const view = await scheduleView(scheduleDeps(), name);
  if (!view) throw new ScheduleNotFoundError(name);
  return json(200, view);
});
