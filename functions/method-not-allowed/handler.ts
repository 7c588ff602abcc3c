import type { ErrorBody } from '../../src/contract/api-error.ts';
import { openApiDocument } from '../../src/contract/openapi/index.ts';
import { httpHandler, json } from '../http/http-handler.ts';

/** The methods each path takes, from the document (infra/openapi.test.ts ties it to the deployed routes). */
const ALLOWED = new Map(
  Object.entries(openApiDocument().paths).map(([path, operations]) => [
    path,
    Object.keys(operations).map((method) => method.toUpperCase()),
  ]),
);

/**
 * A method a path does not take (the gateway's `ANY` beside the routes): 405 with the JSON error
 * shape and the methods it does take in `Allow`, where the gateway alone would answer a REST
 * API's 403 "Missing Authentication Token" or an HTTP API's 404.
 */
export const handler = httpHandler(async (event) => {
  const [method, path] =
    'routeKey' in event
      ? [event.requestContext.http.method, event.routeKey.split(' ')[1] ?? '']
      : [event.httpMethod, event.resource];
  const allowed = ALLOWED.get(path) ?? [];
  const body: ErrorBody = {
    error: {
      code: 'METHOD_NOT_ALLOWED',
      message: `${path} takes ${allowed.join(', ')}, not ${method}`,
      details: [{ path: '', message: `method ${method} is not allowed` }],
    },
  };
  const answer = json(405, body);
  return { ...answer, headers: { ...answer.headers, allow: allowed.join(', ') } };
});
