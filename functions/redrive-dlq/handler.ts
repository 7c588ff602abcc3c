import { runtime } from '../../src/aws/runtime.ts';
import { RedriveRequestSchema, redriveDeadLetters } from '../../src/jobs/dead-letters/index.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { jsonObjectBody } from '../http/json-body.ts';

/** `POST /dlq/redrive {capacity, priority, limit}`: bulk requeue of one queue's dead letters. */
export const handler = httpHandler(async (event) => {
  const request = RedriveRequestSchema.safeParse(jsonObjectBody(event));
  if (!request.success) throw InvalidInputError.fromZod(request.error);
  const result = await redriveDeadLetters(
    { store: runtime.store(), dispatcher: runtime.dispatcher(), sqs: runtime.sqs(), topology: runtime.topology() },
    request.data,
  );
  return json(200, result);
});
