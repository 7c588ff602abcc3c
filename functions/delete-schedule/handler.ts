import { deleteSchedule } from '../../src/jobs/schedules/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { scheduleDeps, scheduleNameParameter } from '../http/schedules.ts';

/** `DELETE /schedules/{name}`: no fires from now on; the jobs it made stay. */
export const handler = httpHandler(async (event) => {
  const name = scheduleNameParameter(event);
  await deleteSchedule(scheduleDeps(), name);
  return json(200, { name, deleted: true });
});
