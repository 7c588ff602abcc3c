import type { APIGatewayProxyEvent } from 'aws-lambda';
import { JobIdSchema } from '../../src/api/job-id.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';

/** The `{id}` path parameter as a job id, or a 400 naming it. */
export function jobIdParameter(event: APIGatewayProxyEvent): string {
  const id = JobIdSchema.safeParse(event.pathParameters?.id);
  if (!id.success) throw InvalidInputError.fromZod(id.error, 'id');
  return id.data;
}
