import { InvalidInputError, PayloadTooLargeError, type StoredObject } from '../model/index.ts';
import {
  type PayloadLimits,
  type PayloadStore,
  parsePayloadRef,
  payloadKey,
  UPLOAD_CONTENT_TYPES,
  type UploadContentType,
} from '../payloads/index.ts';
import type { JobRequest } from './job-request.ts';

/** How a job keeps its payload: inline JSON text, an uploaded object, or JSON text still to store. */
export interface KeptPayload {
  inline?: string;
  object?: StoredObject;
  /** Over the inline threshold: stored under `key` before the job's message is sent. */
  toStore?: { key: string; text: string };
}

/**
 * Decides where a request's payload is kept. Inline JSON over `maxBytes` is refused (413); over
 * `inlineBytes` it goes to the bucket. A `payloadRef` must be an upload of this deployment's
 * caller that exists (400 otherwise) and is within `maxBytes` (413). Nothing is written here.
 */
export async function keepPayload(
  payloads: PayloadStore | undefined,
  limits: PayloadLimits,
  request: JobRequest,
  jobId: string,
): Promise<KeptPayload> {
  if (request.payloadRef !== undefined) return { object: await uploaded(payloads, limits, request.payloadRef) };
  if (request.payload === undefined) return {};
  const text = JSON.stringify(request.payload);
  const bytes = Buffer.byteLength(text);
  const limit = payloads ? limits.maxBytes : limits.inlineBytes;
  if (bytes > limit) throw new PayloadTooLargeError(bytes, limit, 'payload');
  if (bytes <= limits.inlineBytes) return { inline: text };
  return { toStore: { key: payloadKey(jobId), text } };
}

async function uploaded(payloads: PayloadStore | undefined, limits: PayloadLimits, ref: string): Promise<StoredObject> {
  const refused = (message: string) => new InvalidInputError([{ path: 'payloadRef', message }]);
  if (!payloads) throw refused('this deployment has no payload bucket');
  const parsed = parsePayloadRef(ref);
  if ('problem' in parsed) throw refused(parsed.problem);
  const head = await payloads.head(parsed.key);
  if (!head) throw refused('no such upload: never uploaded, or expired');
  if (head.bytes > limits.maxBytes)
    throw new PayloadTooLargeError(head.bytes, limits.maxBytes, 'payloadRef', { json: false });
  const format = UPLOAD_CONTENT_TYPES[head.contentType as UploadContentType] ?? 'bytes';
  return { key: parsed.key, bytes: head.bytes, format, etag: head.etag };
}
