import { pauseSchedule } from '../../src/jobs/schedules/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { scheduleDeps, scheduleNameParameter } from '../http/schedules.ts';

/** `POST /schedules/{name}/resume`: fires again from its next fire time. */
export const handler = httpHandler(async (event) =>
  json(200, await pauseSchedule(scheduleDeps(), scheduleNameParameter(event), false)),
);
