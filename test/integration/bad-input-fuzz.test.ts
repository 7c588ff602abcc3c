import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_DEPTH } from '../../src/jobs/intake/index.ts';
import { mapLimit } from '../helpers/map-limit.ts';
import { testStack } from '../helpers/stack.ts';

const { client, countJobs } = testStack();
const workerLogs = fileURLToPath(new URL('../../.tailguard/test/workers/', import.meta.url));
const RUNS = 1000;

/** Worker log lines reporting a message whose job does not exist: an orphan message. */
function orphanMessages(): number {
  return readdirSync(workerLogs)
    .map(
      (file) =>
        readFileSync(`${workerLogs}${file}`, 'utf8')
          .split('\n')
          .filter((line) => line.includes('job does not exist')).length,
    )
    .reduce((a, b) => a + b, 0);
}

const wrongValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 5 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const validBase = { type: 'noop' };

/**
 * A body whose payload nests `depth` objects and arrays (`kinds` picks each level's), written as
 * text: JSON.stringify recurses and would overflow on the deepest ones.
 */
function deepPayloadBody(depth: number, kinds: readonly ('object' | 'array')[]): string {
  const levels = Array.from({ length: depth }, (_, level) => kinds[level % kinds.length]);
  const open = levels.map((kind) => (kind === 'array' ? '[' : '{"k":')).join('');
  const close = levels
    .reverse()
    .map((kind) => (kind === 'array' ? ']' : '}'))
    .join('');
  return `{"type":"noop","payload":${open}1${close}}`;
}

/** A request that is wrong in at least one way, with a label saying which. */
const badRequest: fc.Arbitrary<{ body: string; headers: Record<string, string> }> = fc.oneof(
  // Not JSON at all.
  fc
    .string({ minLength: 1, maxLength: 60 })
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .map((body) => ({ body, headers: {} })),
  // JSON, but not an object.
  fc
    .oneof(fc.integer(), fc.string(), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.constant(null))
    .map((value) => ({ body: JSON.stringify(value), headers: {} })),
  // An object with a field of the wrong kind.
  fc
    .record({
      field: fc.constantFrom(
        'type',
        'priority',
        'capacity',
        'maxAttempts',
        'timeoutSeconds',
        'delaySeconds',
        'runAt',
        'backoff',
        'idempotencyKey',
      ),
      value: wrongValue,
    })
    .filter(
      ({ field, value }) =>
        !(field === 'idempotencyKey' && typeof value === 'string' && /^[\x21-\x7e]{1,255}$/.test(value)),
    )
    .filter(
      ({ field, value }) =>
        !(
          field === 'backoff' &&
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Object.keys(value).length === 0
        ),
    )
    .filter(
      ({ field, value }) =>
        !(field === 'maxAttempts' && Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 25),
    )
    .filter(
      ({ field, value }) =>
        !(
          field === 'timeoutSeconds' &&
          Number.isInteger(value) &&
          (value as number) >= 1 &&
          (value as number) <= 43_200
        ),
    )
    .filter(
      ({ field, value }) =>
        !(
          field === 'delaySeconds' &&
          Number.isInteger(value) &&
          (value as number) >= 0 &&
          (value as number) <= 31_536_000
        ),
    )
    .map(({ field, value }) => ({ body: JSON.stringify({ ...validBase, [field]: value }), headers: {} })),
  // A payload nested deeper than the limit: refused before anything recurses over it.
  fc
    .tuple(
      fc.integer({ min: MAX_PAYLOAD_DEPTH + 1, max: 5000 }),
      fc.array(fc.constantFrom('object' as const, 'array' as const), { minLength: 1, maxLength: 4 }),
    )
    .map(([depth, kinds]) => ({ body: deepPayloadBody(depth, kinds), headers: {} })),
  // A backoff number that JSON carries but DynamoDB would refuse (under 1E-130), or under 1 ms.
  fc
    .record({
      field: fc.constantFrom('baseSeconds', 'maxSeconds'),
      value: fc.constantFrom(1e-200, 5e-324, 1e-131, 0.0009),
    })
    .map(({ field, value }) => ({
      body: JSON.stringify({ ...validBase, backoff: { baseSeconds: 0.001, maxSeconds: 1, [field]: value } }),
      headers: {},
    })),
  // An unknown field.
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue())
    .filter(
      ([key]) =>
        ![
          'type',
          'payload',
          'priority',
          'capacity',
          'idempotencyKey',
          'maxAttempts',
          'backoff',
          'timeoutSeconds',
          'delaySeconds',
          'runAt',
          '__proto__',
        ].includes(key),
    )
    .map(([key, value]) => ({ body: JSON.stringify({ ...validBase, [key]: value }), headers: {} })),
  // A job type no worker has.
  fc
    .stringMatching(/^[a-z]{3,12}$/)
    .filter((t) => !['noop', 'sleep', 'flaky', 'fail', 'poison'].includes(t))
    .map((type) => ({ body: JSON.stringify({ type }), headers: {} })),
  // A bad Idempotency-Key header: spaces or too long.
  fc
    .oneof(
      fc.constant('has space'),
      fc.string({ minLength: 256, maxLength: 300 }).map((s) => s.replace(/[^\x21-\x7e]/g, 'a')),
    )
    .map((key) => ({ body: JSON.stringify(validBase), headers: { 'Idempotency-Key': key } })),
);

describe('property: malformed requests', () => {
  it(`answers ${RUNS} malformed bodies and headers with a 4xx JSON error and creates nothing`, async () => {
    // Prepare
    const samples = fc.sample(badRequest, { numRuns: RUNS, seed: 20261125 });
    const jobsBefore = await countJobs();
    const orphansBefore = orphanMessages();
    // Act
    const responses = await mapLimit(samples, 8, (sample) => client.raw('POST', 'jobs', sample.body, sample.headers));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Assess
    const wrong = responses
      .map((response, i) => ({ response, sample: samples[i] }))
      .filter(
        ({ response }) =>
          response.status < 400 ||
          response.status >= 500 ||
          typeof (response.body as { error?: { code?: unknown } })?.error?.code !== 'string',
      );
    expect(wrong).toEqual([]);
    expect(responses).toHaveLength(RUNS);
    expect(await countJobs()).toBe(jobsBefore);
    expect(orphanMessages()).toBe(orphansBefore);
  });
});
