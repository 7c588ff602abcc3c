import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Job, NonRetryableError, type ObjectFormat, type StoredObject } from '../src/jobs/model/index.ts';
import {
  DEFAULT_PAYLOAD_LIMITS,
  type PayloadLimits,
  type PayloadStore,
  resultKey,
} from '../src/jobs/payloads/index.ts';

/** A payload downloaded for a handler in another process (Python), removed once the attempt ends. */
export interface PayloadFile {
  path: string;
  format: ObjectFormat;
}

/** What the job keeps of a result: inline JSON text's value, or the object it was stored as. */
export type KeptResult = { result: unknown; object?: undefined } | { result?: undefined; object: StoredObject };

/**
 * Payloads and results of any size, as the worker's handlers see them: a payload kept in the
 * payload bucket is fetched (parsed when JSON, a Buffer when bytes) so a handler gets the same
 * value whatever its size; a result over the inline threshold, or bytes, is stored in the bucket.
 * A speculative backup reads the very object its straggler read.
 */
export class JobPayloads {
  constructor(
    /** The payload bucket; none: payloads and results must fit the job's item. */
    private readonly store: PayloadStore | undefined,
    private readonly limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
    private readonly scratchDir = tmpdir(),
  ) {}

  /** The payload as a handler gets it: the JSON value, or a Buffer of an uploaded payload's bytes. */
  async value(job: Job, signal?: AbortSignal): Promise<unknown> {
    if (!job.payloadObject) return job.payload === undefined ? undefined : JSON.parse(job.payload);
    const bytes = await this.bucket().read(job.payloadObject.key, signal);
    return job.payloadObject.format === 'json' ? JSON.parse(bytes.toString('utf8')) : bytes;
  }

  /** A finished job's result as its handler returned it: inline JSON, or the stored object (JSON parsed, bytes as a Buffer). */
  async result(job: Job, signal?: AbortSignal): Promise<unknown> {
    if (!job.resultObject) return job.result === undefined ? undefined : JSON.parse(job.result);
    const bytes = await this.bucket().read(job.resultObject.key, signal);
    return job.resultObject.format === 'json' ? JSON.parse(bytes.toString('utf8')) : bytes;
  }

  /** A stored payload streamed to a scratch file (none for an inline payload); remove it with `discard`. */
  async file(job: Job, signal?: AbortSignal): Promise<PayloadFile | undefined> {
    if (!job.payloadObject) return undefined;
    const path = join(this.scratchDir, `tailguard-payload-${job.id}-${randomUUID()}`);
    try {
      await this.bucket().download(job.payloadObject.key, path, signal);
    } catch (error) {
      await discard({ path, format: job.payloadObject.format });
      throw error;
    }
    return { path, format: job.payloadObject.format };
  }

  /**
   * Keeps a handler's result: JSON within the inline threshold stays in the job's item; larger
   * JSON, and bytes (a Buffer or Uint8Array) of any size, go to the bucket under the attempt's own
   * key. Over the maximum, or too large with no bucket, the job fails for good.
   */
  async keep(job: Job, claimId: string, result: unknown): Promise<KeptResult> {
    const isBytes = result instanceof Uint8Array;
    const body: string | Uint8Array = isBytes ? result : JSON.stringify(result ?? null);
    const bytes = Buffer.byteLength(body);
    if (!isBytes && (result === undefined || bytes <= this.limits.inlineBytes)) return { result };
    const limit = this.store ? this.limits.maxBytes : this.limits.inlineBytes;
    if (bytes > limit) throw new NonRetryableError(`result is ${bytes} bytes; the limit is ${limit}`);
    if (!this.store) throw new NonRetryableError('a bytes result needs the payload bucket, which this worker lacks');
    return { object: await this.store.put(resultKey(job.id, claimId), body, isBytes ? 'bytes' : 'json') };
  }

  private bucket(): PayloadStore {
    if (!this.store) throw new NonRetryableError('the payload is in the payload bucket, which this worker lacks');
    return this.store;
  }
}

/** Removes a payload file; one already gone is fine. */
export const discard = (file: PayloadFile | undefined): Promise<void> =>
  file ? rm(file.path, { force: true }) : Promise.resolve();
