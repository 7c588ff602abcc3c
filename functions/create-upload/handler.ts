import { runtime } from '../../src/aws/runtime.ts';
import { createUpload, UploadRequestSchema } from '../../src/jobs/intake/index.ts';
import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';
import { jsonObjectBody } from '../http/json-body.ts';

/** `POST /uploads`: 201 with a presigned PUT and the `payloadRef` to submit the uploaded payload with. */
export const handler = httpHandler(async (event) => {
  const request = UploadRequestSchema.safeParse(jsonObjectBody(event));
  if (!request.success) throw InvalidInputError.fromZod(request.error);
  return json(201, await createUpload(runtime.payloads(), runtime.payloadLimits(), request.data));
});
