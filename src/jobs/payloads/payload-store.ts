import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectFormat, StoredObject } from '../model/index.ts';
import { PRESIGNED_URL_SECONDS } from './payload-limits.ts';

const CONTENT_TYPE: Record<ObjectFormat, string> = { json: 'application/json', bytes: 'application/octet-stream' };

/** What a HEAD found: the object's size, ETag and content type. */
export interface ObjectHead {
  bytes: number;
  etag: string;
  contentType?: string;
}

/**
 * The payload bucket (S3): payloads and results too large for a job's item, and presigned URLs
 * that let callers upload and download them without passing through the API.
 */
export class PayloadStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /** Stores `body` under `key`; returns what the job records. */
  async put(key: string, body: string | Uint8Array, format: ObjectFormat): Promise<StoredObject> {
    const put = await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: CONTENT_TYPE[format] }),
    );
    return { key, bytes: Buffer.byteLength(body), format, ...(put.ETag && { etag: put.ETag }) };
  }

  /** The object's size and ETag, or undefined when there is none. */
  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { bytes: head.ContentLength ?? 0, etag: head.ETag ?? '', contentType: head.ContentType };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The object's bytes, whole. */
  async read(key: string, signal?: AbortSignal): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      abortSignal: signal,
    });
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  /** Streams the object into `path` without holding it in memory. */
  async download(key: string, path: string, signal?: AbortSignal): Promise<void> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      abortSignal: signal,
    });
    await pipeline(object.Body as Readable, createWriteStream(path), { signal });
  }

  /** A URL that PUTs exactly `bytes` bytes of `contentType` under `key`, valid for `seconds`. */
  uploadUrl(key: string, bytes: number, contentType: string, seconds = PRESIGNED_URL_SECONDS): Promise<string> {
    return getSignedUrl(
      this.s3,
      new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ContentLength: bytes }),
      { expiresIn: seconds, signableHeaders: new Set(['content-type']) },
    );
  }

  /** A URL that GETs the object, valid for `seconds`. */
  downloadUrl(key: string, seconds = PRESIGNED_URL_SECONDS): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: seconds });
  }
}

function isNotFound(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404;
}
