import { MAX_REQUEST_PAYLOAD_BYTES } from '../../src/jobs/intake/index.ts';
import { InvalidInputError, InvalidJsonError, PayloadTooLargeError } from '../../src/jobs/model/index.ts';
import type { HttpEvent } from './http-handler.ts';

/**
 * Bodies larger than this are refused before parsing: the largest payload a request carries plus
 * the other fields, under the 6 MB a synchronous Lambda takes. Larger payloads go through `POST /uploads`.
 */
export const MAX_BODY_BYTES = MAX_REQUEST_PAYLOAD_BYTES + 64 * 1024;

/** The request body as a JSON object, or an InvalidInputError, InvalidJsonError or PayloadTooLargeError that names what is wrong. */
export function jsonObjectBody(
  event: HttpEvent,
  maxBytes = MAX_BODY_BYTES,
  /** What a caller whose body is too large should do instead. */
  tooLargeHint?: string,
): Record<string, unknown> {
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (raw === null || raw === undefined || raw.trim() === '') {
    throw new InvalidInputError([{ path: '', message: 'a JSON object body is required' }]);
  }
  const size = Buffer.byteLength(raw);
  if (size > maxBytes) {
    throw new PayloadTooLargeError(size, maxBytes, '', { hint: tooLargeHint });
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
