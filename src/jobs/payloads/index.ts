export {
  DEFAULT_OWNER,
  newUpload,
  PAYLOAD_REF_PATTERN,
  PAYLOADS_PREFIX,
  parsePayloadRef,
  payloadKey,
  RESULTS_PREFIX,
  resultKey,
  UPLOAD_CONTENT_TYPES,
  UPLOADS_PREFIX,
  type UploadContentType,
} from './payload-keys.ts';
export {
  DEFAULT_INLINE_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PAYLOAD_LIMITS,
  MAX_SINGLE_PUT_BYTES,
  type PayloadLimits,
  PRESIGNED_URL_SECONDS,
} from './payload-limits.ts';
export { type ObjectHead, PayloadStore } from './payload-store.ts';
