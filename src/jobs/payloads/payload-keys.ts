import { randomUUID } from 'node:crypto';
import type { ObjectFormat } from '../model/index.ts';

/**
 * Where payloads and results live in the payload bucket, and the references callers hold.
 *
 * - `payloads/<jobId>`: a payload intake took inline and stored because it was over the threshold.
 * - `uploads/<owner>/<id>`: a payload a caller uploaded through a presigned PUT (`POST /uploads`).
 * - `results/<jobId>/<claimId>`: a result over the threshold, one object per attempt, so a losing
 *   twin's late write never replaces the winner's.
 *
 * One lifecycle rule expires every prefix (infra/payloads.ts): nothing here deletes objects.
 */
export const PAYLOADS_PREFIX = 'payloads/';
export const UPLOADS_PREFIX = 'uploads/';
export const RESULTS_PREFIX = 'results/';

/**
 * Whose upload a reference is. Tenants do not exist yet: every caller of a deployment is the
 * `default` owner. The reference carries its owner so that, once they do, intake refuses another
 * tenant's upload by comparing it with the caller's (see `parsePayloadRef`).
 */
export const DEFAULT_OWNER = 'default';

const OWNER = '[a-z0-9][a-z0-9-]{0,62}';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** `tgu_<owner>_<uuid>`: what `POST /uploads` issues and `payloadRef` takes. */
export const PAYLOAD_REF_PATTERN = new RegExp(`^tgu_(${OWNER})_(${UUID})$`);

/** The content types an upload may declare, and what the handler gets for each. */
export const UPLOAD_CONTENT_TYPES = {
  'application/json': 'json',
  'application/octet-stream': 'bytes',
} as const satisfies Record<string, ObjectFormat>;
export type UploadContentType = keyof typeof UPLOAD_CONTENT_TYPES;

export const payloadKey = (jobId: string): string => `${PAYLOADS_PREFIX}${jobId}`;
export const resultKey = (jobId: string, claimId: string): string => `${RESULTS_PREFIX}${jobId}/${claimId}`;

/** A fresh upload of `owner`: the reference the caller gets and the key it is stored under. */
export function newUpload(owner: string = DEFAULT_OWNER): { ref: string; key: string } {
  const id = randomUUID();
  return { ref: `tgu_${owner}_${id}`, key: `${UPLOADS_PREFIX}${owner}/${id}` };
}

/**
 * The key of an upload reference, or why the caller may not use it: not one this deployment issues,
 * or another owner's. Whether the object exists is the store's to say (a HEAD).
 */
export function parsePayloadRef(ref: string, caller: string = DEFAULT_OWNER): { key: string } | { problem: string } {
  const match = PAYLOAD_REF_PATTERN.exec(ref);
  if (!match) return { problem: 'is not a reference issued by POST /uploads' };
  const [, owner, id] = match;
  if (owner !== caller) return { problem: 'belongs to another owner' };
  return { key: `${UPLOADS_PREFIX}${owner}/${id}` };
}
