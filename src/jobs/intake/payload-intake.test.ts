import { describe, expect, it } from 'vitest';
import { InvalidInputError, PayloadTooLargeError } from '../model/index.ts';
import { newUpload, type ObjectHead, type PayloadStore } from '../payloads/index.ts';
import { JobRequestSchema } from './job-request.ts';
import { keepPayload } from './payload-intake.ts';
import { hashRequest, newJob } from './submit-job.ts';
import { createUpload, UploadRequestSchema } from './upload-request.ts';

const LIMITS = { inlineBytes: 100, maxBytes: 1000 };
const JOB_ID = '6f1c7a52-0d2e-4c43-9a55-3f8f8f0b8c11';

/** A bucket holding `objects` by key: HEAD answers from it, presigning returns a fake URL. */
function bucket(objects: Record<string, ObjectHead> = {}): PayloadStore {
  return {
    head: async (key: string) => objects[key],
    uploadUrl: async (key: string) => `https://bucket.example/${key}?signed`,
  } as unknown as PayloadStore;
}

const request = (body: object) => JobRequestSchema.parse({ type: 'render', ...body });

describe('keepPayload', () => {
  it('keeps a payload within the threshold inline', async () => {
    // Act
    const kept = await keepPayload(bucket(), LIMITS, request({ payload: { a: 1 } }), JOB_ID);
    // Assess
    expect(kept).toEqual({ inline: '{"a":1}' });
  });

  it('stores a payload over the threshold under the job id, and refuses one over the maximum (413)', async () => {
    // Prepare
    const large = { text: 'x'.repeat(200) };
    const tooLarge = { text: 'x'.repeat(2000) };
    // Act
    const kept = await keepPayload(bucket(), LIMITS, request({ payload: large }), JOB_ID);
    const refused = keepPayload(bucket(), LIMITS, request({ payload: tooLarge }), JOB_ID);
    // Assess
    expect(kept).toEqual({ toStore: { key: `payloads/${JOB_ID}`, text: JSON.stringify(large) } });
    await expect(refused).rejects.toThrow(PayloadTooLargeError);
  });

  it('without a bucket, refuses a payload over the threshold rather than storing it', async () => {
    // Act / Assess
    await expect(keepPayload(undefined, LIMITS, request({ payload: 'x'.repeat(200) }), JOB_ID)).rejects.toMatchObject({
      details: [{ path: 'payload', message: 'must be at most 100 bytes as JSON' }],
    });
  });

  it('references an existing upload with its size, format and ETag', async () => {
    // Prepare
    const { ref, key } = newUpload();
    const objects = { [key]: { bytes: 500, etag: '"e1"', contentType: 'application/json' } };
    // Act
    const kept = await keepPayload(bucket(objects), LIMITS, request({ payloadRef: ref }), JOB_ID);
    // Assess
    expect(kept).toEqual({ object: { key, bytes: 500, format: 'json', etag: '"e1"' } });
  });

  it('refuses a missing upload, another owner`s, and any with no bucket (400 on payloadRef)', async () => {
    // Prepare
    const missing = newUpload().ref;
    const foreign = newUpload('tenant-b');
    const objects = { [foreign.key]: { bytes: 1, etag: '"e"' } };
    // Act
    const refusals = [
      keepPayload(bucket(objects), LIMITS, request({ payloadRef: missing }), JOB_ID),
      keepPayload(bucket(objects), LIMITS, request({ payloadRef: foreign.ref }), JOB_ID),
      keepPayload(undefined, LIMITS, request({ payloadRef: missing }), JOB_ID),
    ];
    // Assess
    for (const refusal of refusals) {
      await expect(refusal).rejects.toThrow(InvalidInputError);
      await expect(refusal).rejects.toMatchObject({ details: [{ path: 'payloadRef' }] });
    }
  });

  it('refuses an upload larger than the maximum (413), found by its HEAD', async () => {
    // Prepare
    const { ref, key } = newUpload();
    // Act
    const refused = keepPayload(
      bucket({ [key]: { bytes: 1001, etag: '"e"' } }),
      LIMITS,
      request({ payloadRef: ref }),
      JOB_ID,
    );
    // Assess
    await expect(refused).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: [{ path: 'payloadRef' }] });
  });
});

describe('the request schema and a batch', () => {
  it('refuses payload and payloadRef together, and a payloadRef that is not a reference', () => {
    // Act
    const both = JobRequestSchema.safeParse({ type: 'a', payload: 1, payloadRef: newUpload().ref });
    const bad = JobRequestSchema.safeParse({ type: 'a', payloadRef: 's3://bucket/key' });
    // Assess
    expect(both.error?.issues.map((i) => i.path.join('.'))).toEqual(['payloadRef']);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['payloadRef']);
  });

  it('keeps a batch item inline: a payloadRef is refused there', () => {
    // Act / Assess
    expect(() => newJob(request({ payloadRef: newUpload().ref }), new Date(), JOB_ID)).toThrow(InvalidInputError);
  });
});

describe('idempotency of uploaded payloads', () => {
  const object = (etag: string) => ({ key: 'uploads/default/x', bytes: 10, format: 'bytes' as const, etag });

  it('compares uploaded content, not the reference: the same bytes under a new reference replay', () => {
    // Prepare
    const first = request({ payloadRef: newUpload().ref });
    const second = request({ payloadRef: newUpload().ref });
    // Act / Assess
    expect(hashRequest(first, object('"same"'))).toBe(hashRequest(second, object('"same"')));
    expect(hashRequest(first, object('"same"'))).not.toBe(hashRequest(first, object('"other"')));
  });
});

describe('createUpload', () => {
  it('presigns a PUT within the maximum and refuses a larger one (413) before anything is signed', async () => {
    // Act
    const upload = await createUpload(
      bucket(),
      LIMITS,
      UploadRequestSchema.parse({ bytes: 1000 }),
      new Date('2026-01-01T00:00:00Z'),
    );
    const refused = createUpload(bucket(), LIMITS, UploadRequestSchema.parse({ bytes: 1001 }));
    // Assess
    expect(upload).toMatchObject({
      payloadRef: expect.stringMatching(/^tgu_default_/),
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      expiresAt: '2026-01-01T00:15:00.000Z',
    });
    expect(upload.uploadUrl).toContain('uploads/default/');
    await expect(refused).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: [{ path: 'bytes' }] });
  });
});
