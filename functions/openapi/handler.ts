import { readSection } from '../../src/aws/environment/index.ts';
import { openApiDocument } from '../../src/contract/openapi/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';

/** Built once per container: it depends on the code and the deployment's job types. */
const document = openApiDocument({ jobTypes: readSection('intake').jobTypes });

/** `GET /openapi.json`: the API's OpenAPI 3.1 description, from the zod schemas that validate requests. */
export const handler = httpHandler(async () => json(200, document));
