import { readSection } from '../../src/aws/environment/index.ts';
import { type JobRequest, JobRequestSchema } from '../../src/jobs/intake/index.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';

/** The deployment's allow-list of job types, if it gave one (Tailguard construct prop `jobTypes`). */
const knownTypes = readSection('intake').jobTypes && new Set(readSection('intake').jobTypes);

/** A `POST /jobs` body (also one item of a batch) as a job request, or the InvalidInputError naming what is wrong. */
export function parseJobRequest(body: unknown): JobRequest {
  const request = JobRequestSchema.safeParse(body);
  if (!request.success) throw InvalidInputError.fromZod(request.error);
  assertKnownType(request.data.type, 'type');
  return request.data;
}

/** Refuses a job type outside the deployment's allow-list, naming the field at `path`. */
export function assertKnownType(type: string, path: string): void {
  if (knownTypes && !knownTypes.has(type)) {
    throw new InvalidInputError([
      { path, message: `no worker handles type ${type}; known types: ${[...knownTypes].join(', ')}` },
    ]);
  }
}
