import { runtime } from '../../src/aws/runtime.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { type ScheduleDeps, ScheduleNameSchema } from '../../src/jobs/schedules/index.ts';
import type { HttpEvent } from './http-handler.ts';

/** The `{name}` path parameter as a schedule name, or a 400 naming it. */
export function scheduleNameParameter(event: HttpEvent): string {
  const name = ScheduleNameSchema.safeParse(event.pathParameters?.name);
  if (!name.success) throw InvalidInputError.fromZod(name.error, 'name');
  return name.data;
}

/** What the `/schedules` routes work with: Scheduler's group, the fire logs, the jobs. */
export const scheduleDeps = (): ScheduleDeps => ({
  registry: runtime.schedules(),
  fires: runtime.fireLog(),
  store: runtime.store(),
});
