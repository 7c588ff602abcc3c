import { InvalidInputError, InvalidJsonError, PayloadTooLargeError } from '../../src/jobs/model/index.ts';
import type { HttpEvent } from './http-handler.ts';

/** Bodies larger than this are refused before parsing: a 256 KiB payload plus the other fields. */
export const MAX_BODY_BYTES = 300 * 1024;

/** The request body as a JSON object, or an InvalidInputError, InvalidJsonError or PayloadTooLargeError that names what is wrong. */
export function jsonObjectBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): Record<string, unknown> {
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (raw === null || raw === undefined || raw.trim() === '') {
    throw new InvalidInputError([{ path: '', message: 'a JSON object body is required' }]);
  }
  const size = Buffer.byteLength(raw);
  if (size > maxBytes) {
    throw new PayloadTooLargeError(size, maxBytes, '');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InvalidJsonError(error);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidInputError([{ path: '', message: 'must be a JSON object' }]);
  }
  return parsed as Record<string, unknown>;
}
