import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type ErrorBody, toErrorBody } from '../../src/contract/api-error.ts';
import { TailguardError } from '../../src/jobs/model/index.ts';
import { httpStatusOf, retryAfterOf } from './error-status.ts';

export const logger = new Logger({ serviceName: 'tailguard' });

/**
 * What API Gateway hands a route's function: a REST API's proxy event (payload format 1.0) or an
 * HTTP API's (payload format 2.0, `api.kind: 'http'`). Routes read only what both formats carry
 * under the same names, with the same meaning — `headers` (2.0 lowercases names: read them with
 * `header()`), `pathParameters`, `queryStringParameters` (absent rather than null when empty), and
 * `body` with `isBase64Encoded` (`jsonObjectBody()`) — so one handler serves both, unconverted.
 * Neither format's `requestContext` is read. The answer, `{statusCode, headers, body}`, is valid
 * for both formats.
 */
export type HttpEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

export type HttpRoute = (event: HttpEvent, context: Context) => Promise<APIGatewayProxyResult>;

export const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** An error as the API answers it: a domain error by its status, anything else a logged 500. */
export function errorAnswer(error: unknown): { status: number; body: ErrorBody } {
  const status = httpStatusOf(error);
  if (status !== undefined && error instanceof TailguardError) {
    if (status >= 500) logger.error('request failed', { code: error.code, error });
    return { status, body: toErrorBody(error) };
  }
  logger.error('unhandled error', { error: error as Error });
  return { status: 500, body: toErrorBody({ code: 'INTERNAL', message: 'internal error', details: [] }) };
}

/** Turns every thrown error into the API's JSON error shape. */
const errorResponses = (): MiddlewareObj<HttpEvent, APIGatewayProxyResult> => ({
  onError: async (request) => {
    const { status, body } = errorAnswer(request.error);
    const retryAfter = retryAfterOf(request.error);
    request.response = json(status, body);
    if (retryAfter !== undefined)
      request.response.headers = { ...request.response.headers, 'retry-after': `${retryAfter}` };
  },
});

/** Wraps a route in the middleware every Tailguard HTTP function shares. */
export const httpHandler = (route: HttpRoute) =>
  middy<HttpEvent, APIGatewayProxyResult>(route)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorResponses());

/** Header lookup that ignores case, as HTTP does. */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
