import { pauseSchedule } from '../../src/jobs/schedules/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { scheduleDeps, scheduleNameParameter } from '../http/schedules.ts';

/** `POST /schedules/{name}/pause`: no fires until resumed (the ones in between are not made up). */
export const handler = httpHandler(async (event) =>
  json(200, await pauseSchedule(scheduleDeps(), scheduleNameParameter(event), true)),
);
