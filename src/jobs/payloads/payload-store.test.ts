import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { newUpload, parsePayloadRef } from './payload-keys.ts';
import { PayloadStore } from './payload-store.ts';

const s3 = mockClient(S3Client);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const store = new PayloadStore(new S3Client({ region: 'eu-west-1', credentials }), 'payload-bucket');

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

describe('payload references', () => {
  it('accepts an upload of its own owner and names its key', () => {
    // Prepare
    const { ref, key } = newUpload();
    // Act / Assess
    expect(parsePayloadRef(ref)).toEqual({ key });
    expect(key).toMatch(/^uploads\/default\/[0-9a-f-]{36}$/);
  });

  it("refuses another owner's upload and anything that is not a reference", () => {
    // Prepare
    const { ref } = newUpload('tenant-b');
    // Act / Assess
    expect(parsePayloadRef(ref)).toEqual({ problem: 'belongs to another owner' });
    expect(parsePayloadRef('uploads/default/x')).toMatchObject({ problem: expect.stringContaining('POST /uploads') });
    expect(parsePayloadRef(`${newUpload().ref}/../../results`)).toHaveProperty('problem');
  });
});

describe('PayloadStore', () => {
  beforeEach(() => s3.reset());

  it('stores a payload under its key with its content type and keeps the ETag', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({ ETag: '"abc"' });
    // Act
    const stored = await store.put('payloads/j1', '{"a":1}', 'json');
    // Assess
    expect(stored).toEqual({ key: 'payloads/j1', bytes: 7, format: 'json', etag: '"abc"' });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'payload-bucket',
      Key: 'payloads/j1',
      Body: '{"a":1}',
      ContentType: 'application/json',
    });
  });

  it('says an object is missing when S3 answers 404, whatever it names it', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejectsOnce(s3Error('NotFound', 404)).rejectsOnce(s3Error('UnknownError', 404));
    // Act / Assess
    await expect(store.head('uploads/default/x')).resolves.toBeUndefined();
    await expect(store.head('uploads/default/x')).resolves.toBeUndefined();
  });

  it('passes on any other failure of a HEAD: access denied is not a missing upload', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(s3Error('AccessDenied', 403));
    // Act / Assess
    await expect(store.head('uploads/default/x')).rejects.toThrow('AccessDenied');
  });

  it("reads an object's size, ETag and content type", async () => {
    // Prepare
    s3.on(HeadObjectCommand).resolves({ ContentLength: 42, ETag: '"e"', ContentType: 'application/octet-stream' });
    // Act / Assess
    await expect(store.head('k')).resolves.toEqual({ bytes: 42, etag: '"e"', contentType: 'application/octet-stream' });
  });

  it('signs a PUT of exactly the declared size and type, and a GET, against the bucket', async () => {
    // Act
    const put = new URL(await store.uploadUrl('uploads/default/x', 1234, 'application/json', 60));
    const get = new URL(await store.downloadUrl('results/j/c', 60));
    // Assess
    expect(put.pathname).toContain('uploads/default/x');
    expect(put.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(put.searchParams.get('X-Amz-SignedHeaders')).toContain('content-length');
    expect(put.searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
    expect(get.pathname).toContain('results/j/c');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
