import { JobIdSchema } from '../../src/contract/job-id.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';
import type { HttpEvent } from './http-handler.ts';

/** The `{id}` path parameter as a job id, or a 400 naming it. */
export function jobIdParameter(event: HttpEvent): string {
  const id = JobIdSchema.safeParse(event.pathParameters?.id);
  if (!id.success) throw InvalidInputError.fromZod(id.error, 'id');
  return id.data;
}
