import { z } from 'zod';
import { PayloadTooLargeError } from '../model/index.ts';
import {
  newUpload,
  type PayloadLimits,
  type PayloadStore,
  PRESIGNED_URL_SECONDS,
  UPLOAD_CONTENT_TYPES,
  type UploadContentType,
} from '../payloads/index.ts';

/**
 * Body of `POST /uploads`: how many bytes the caller will upload and what they are. JSON is parsed
 * for the handler; anything else reaches it as bytes (TypeScript: a Buffer; Python: a file).
 */
export const UploadRequestSchema = z.strictObject({
  bytes: z.int().min(1),
  contentType: z
    .enum(Object.keys(UPLOAD_CONTENT_TYPES) as [UploadContentType, ...UploadContentType[]])
    .default('application/octet-stream'),
});
export type UploadRequestInput = z.input<typeof UploadRequestSchema>;
export type UploadRequest = z.output<typeof UploadRequestSchema>;

/** What `POST /uploads` answers: where to PUT the bytes, and the reference to submit them with. */
export interface Upload {
  payloadRef: string;
  /** A presigned S3 URL: PUT exactly `bytes` bytes there, with the headers below. */
  uploadUrl: string;
  method: 'PUT';
  headers: { 'content-type': UploadContentType };
  expiresAt: string;
}

/** A presigned upload within the deployment's maximum (413 beyond it, before a byte is sent). */
export async function createUpload(
  payloads: PayloadStore,
  limits: PayloadLimits,
  request: UploadRequest,
  now = new Date(),
): Promise<Upload> {
  if (request.bytes > limits.maxBytes)
    throw new PayloadTooLargeError(request.bytes, limits.maxBytes, 'bytes', { json: false });
  const { ref, key } = newUpload();
  const uploadUrl = await payloads.uploadUrl(key, request.bytes, request.contentType);
  return {
    payloadRef: ref,
    uploadUrl,
    method: 'PUT',
    headers: { 'content-type': request.contentType },
    expiresAt: new Date(now.getTime() + PRESIGNED_URL_SECONDS * 1000).toISOString(),
  };
}
