import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError } from '../../src/api/api-error.ts';

/** Bodies larger than this are refused before parsing: a 256 KiB payload plus the other fields. */
export const MAX_BODY_BYTES = 300 * 1024;

/** The request body as a JSON object, or an ApiError (400 or 413) that names what is wrong. */
export function jsonObjectBody(event: APIGatewayProxyEvent): Record<string, unknown> {
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (raw === null || raw === undefined || raw.trim() === '') {
    throw ApiError.validation([{ path: '', message: 'a JSON object body is required' }]);
  }
  const size = Buffer.byteLength(raw);
  if (size > MAX_BODY_BYTES) {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `request body is ${size} bytes; the limit is ${MAX_BODY_BYTES}`, [
      { path: '', message: `must be at most ${MAX_BODY_BYTES} bytes` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ApiError(400, 'INVALID_JSON', `body is not valid JSON: ${(error as Error).message}`, [
      { path: '', message: 'not valid JSON' },
    ]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw ApiError.validation([{ path: '', message: 'must be a JSON object' }]);
  }
  return parsed as Record<string, unknown>;
}
