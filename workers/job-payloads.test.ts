import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type Job, NonRetryableError } from '../src/jobs/model/index.ts';
import type { PayloadStore } from '../src/jobs/payloads/index.ts';
import { discard, JobPayloads } from './job-payloads.ts';

const LIMITS = { inlineBytes: 100, maxBytes: 1000 };

/** A bucket in memory: what `put` stored, `read` and `download` give back. */
function bucket() {
  const objects = new Map<string, Buffer>();
  const store = {
    put: async (key: string, body: string | Uint8Array, format: string) => {
      objects.set(key, Buffer.from(body));
      return { key, bytes: Buffer.byteLength(body), format };
    },
    read: async (key: string) => objects.get(key)!,
    download: async (key: string, path: string) => writeFile(path, objects.get(key)!),
  } as unknown as PayloadStore;
  return { objects, store };
}

const job = (fields: Partial<Job>) => ({ id: 'j1', ...fields }) as Job;

describe('JobPayloads', () => {
  it('keeps a small JSON result inline, a large one and any bytes in the bucket under the attempt', async () => {
    // Prepare
    const { objects, store } = bucket();
    const payloads = new JobPayloads(store, LIMITS);
    // Act
    const small = await payloads.keep(job({}), 'c1', { ok: true });
    const large = await payloads.keep(job({}), 'c1', 'x'.repeat(200));
    const bytes = await payloads.keep(job({}), 'c2', Buffer.from([1, 2, 3]));
    // Assess
    expect(small).toEqual({ result: { ok: true } });
    expect(large.object).toMatchObject({ key: 'results/j1/c1', format: 'json', bytes: 202 });
    expect(bytes.object).toMatchObject({ key: 'results/j1/c2', format: 'bytes', bytes: 3 });
    expect(objects.get('results/j1/c2')).toEqual(Buffer.from([1, 2, 3]));
  });

  it('fails a result over the maximum for good, and any over the threshold without a bucket', async () => {
    // Act
    const overMaximum = new JobPayloads(bucket().store, LIMITS).keep(job({}), 'c', 'x'.repeat(2000));
    const noBucket = new JobPayloads(undefined, LIMITS).keep(job({}), 'c', 'x'.repeat(200));
    // Assess
    await expect(overMaximum).rejects.toThrow(NonRetryableError);
    await expect(noBucket).rejects.toThrow(NonRetryableError);
  });

  it('gives a handler the same value whether the payload was inline or stored, and bytes as a Buffer', async () => {
    // Prepare
    const { objects, store } = bucket();
    objects.set('payloads/j1', Buffer.from('{"a":1}'));
    objects.set('uploads/default/u', Buffer.from([9, 8]));
    const payloads = new JobPayloads(store, LIMITS);
    // Act
    const inline = await payloads.value(job({ payload: '{"a":1}' }));
    const stored = await payloads.value(job({ payloadObject: { key: 'payloads/j1', bytes: 7, format: 'json' } }));
    const bytes = await payloads.value(job({ payloadObject: { key: 'uploads/default/u', bytes: 2, format: 'bytes' } }));
    // Assess
    expect(stored).toEqual(inline);
    expect(bytes).toEqual(Buffer.from([9, 8]));
  });

  it('downloads a stored payload to a scratch file for another process, removed by discard', async () => {
    // Prepare
    const { objects, store } = bucket();
    objects.set('uploads/default/u', Buffer.from('bytes'));
    const payloads = new JobPayloads(store, LIMITS);
    // Act
    const file = await payloads.file(job({ payloadObject: { key: 'uploads/default/u', bytes: 5, format: 'bytes' } }));
    const content = await readFile(file!.path, 'utf8');
    await discard(file);
    // Assess
    expect(content).toBe('bytes');
    expect(file!.format).toBe('bytes');
    expect(existsSync(file!.path)).toBe(false);
    expect(await payloads.file(job({ payload: '1' }))).toBeUndefined();
  });
});
