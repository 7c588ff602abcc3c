import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

/** The two Lambda proxy payload formats: a REST API's (1.0) and an HTTP API's (2.0). */
export const PAYLOAD_FORMATS = ['1.0', '2.0'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/** One request as a caller sent it. */
export interface SentRequest {
  /** Any method: a route's, or one it does not take (functions/method-not-allowed). */
  method: string;
  /** The route as declared, e.g. `/jobs/{id}`. */
  route: string;
  /** Filled into the route's `{name}` segments. */
  pathParameters?: Record<string, string>;
  /** Repeated names keep every value, as on the wire. */
  query?: [string, string][];
  /** Names as the caller wrote them (mixed case). */
  headers?: Record<string, string>;
  body?: string;
  /** The gateway base64-encodes bodies it does not take for text (e.g. no or a binary content type). */
  base64?: boolean;
}

const API_ID = 'abc123';
const ACCOUNT = '123456789012';
const CALLER = 'AIDAEXAMPLECALLER';

/**
 * The event API Gateway hands a Lambda proxy integration for `request`, in either payload format,
 * as AWS documents them: 1.0 keeps header case, has `multiValue*` maps and nulls for what is
 * absent, with the stage and resource path; 2.0 lowercases header names, joins repeated query
 * values with commas, leaves out what is absent, and has `rawPath`, `routeKey` and `requestContext.http`.
 */
export function apiGatewayEvent(
  format: PayloadFormat,
  request: SentRequest,
): APIGatewayProxyEvent | APIGatewayProxyEventV2 {
  const path = request.route.replace(/\{(\w+)\}/g, (_, name: string) => request.pathParameters?.[name] ?? '');
  const headers = { Host: `${API_ID}.execute-api.eu-west-1.amazonaws.com`, ...request.headers };
  const body =
    request.body === undefined
      ? undefined
      : request.base64
        ? Buffer.from(request.body).toString('base64')
        : request.body;
  const wire: Wire = { request, path, headers, query: request.query ?? [], body };
  return format === '1.0' ? restEvent(wire) : httpApiEvent(wire);
}

/** The request as it reaches the gateway, before each format shapes it. */
interface Wire {
  request: SentRequest;
  path: string;
  headers: Record<string, string>;
  query: [string, string][];
  body: string | undefined;
}

function restEvent({ request, path, headers, query, body }: Wire): APIGatewayProxyEvent {
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of query) multiQuery[name] = [...(multiQuery[name] ?? []), value];
  return {
    resource: request.route,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    // The last value of a repeated name.
    queryStringParameters: query.length > 0 ? Object.fromEntries(query) : null,
    multiValueQueryStringParameters: query.length > 0 ? multiQuery : null,
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body: body ?? null,
    isBase64Encoded: request.base64 ?? false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      identity: {
        accessKey: 'AKIAEXAMPLE',
        accountId: ACCOUNT,
        apiKey: null,
        apiKeyId: null,
        caller: CALLER,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: CALLER,
        userAgent: 'tailguard-test',
        userArn: `arn:aws:iam::${ACCOUNT}:user/caller`,
      },
      path: `/v1${path}`,
      stage: 'v1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1_700_000_000_000,
      resourceId: 'res123',
      resourcePath: request.route,
    },
  };
}

function httpApiEvent({ request, path, headers, query, body }: Wire): APIGatewayProxyEventV2 {
  const joined: Record<string, string> = {};
  for (const [name, value] of query) joined[name] = name in joined ? `${joined[name]},${value}` : value;
  return {
    version: '2.0',
    routeKey: `${request.method} ${request.route}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    ...(query.length > 0 && { queryStringParameters: joined }),
    ...(request.pathParameters && { pathParameters: request.pathParameters }),
    ...(body !== undefined && { body }),
    isBase64Encoded: request.base64 ?? false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      domainName: `${API_ID}.execute-api.eu-west-1.amazonaws.com`,
      domainPrefix: API_ID,
      http: {
        method: request.method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'tailguard-test',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: `${request.method} ${request.route}`,
      stage: '$default',
      time: '14/Nov/2023:22:13:20 +0000',
      timeEpoch: 1_700_000_000_000,
    },
  };
}
