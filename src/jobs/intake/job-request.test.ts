import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_BACKOFF, InvalidInputError } from '../model/index.ts';
import { JobRequestSchema, MAX_PAYLOAD_DEPTH, nestsWithin } from './job-request.ts';

type Container = 'object' | 'array';

/** A value that nests `depth` objects or arrays (cycling through `kinds`), built without recursion. */
function nested(depth: number, kinds: readonly Container[] = ['object'], leaf: unknown = 'leaf'): unknown {
  let value = leaf;
  for (let level = depth; level >= 1; level--) {
    value = kinds[level % kinds.length] === 'array' ? [value] : { [`k${level}`]: value };
  }
  return value;
}

/** Any UTF-16 code unit (lone surrogates and control characters too) or any code point. */
const anyCharacter = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

function payloadIssue(body: unknown) {
  const result = JobRequestSchema.safeParse(body);
  expect(result.success).toBe(false);
  const issues = result.error!.issues;
  expect(issues.map((issue) => issue.path)).toEqual([['payload']]);
  expect(issues[0]!.message).toBe(`must nest at most ${MAX_PAYLOAD_DEPTH} levels of objects and arrays`);
  // Nothing on the error keeps the deep input: its message (which logs use) is cheap and safe.
  expect(result.error!.message.length).toBeLessThan(1000);
  return result.error!;
}

describe('JobRequestSchema', () => {
  it('fills in the documented defaults', () => {
    // Act
    const request = JobRequestSchema.parse({ type: 'noop' });
    // Assess
    expect(request).toEqual({
      type: 'noop',
      tenant: 'default',
      priority: 'default',
      capacity: 'cpu',
      maxAttempts: 4,
      backoff: { strategy: 'exponential', baseSeconds: 2, maxSeconds: 300, jitter: 'full' },
      timeoutSeconds: 300,
      speculation: true,
    });
    expect(DEFAULT_BACKOFF).toEqual(request.backoff);
  });

  it('accepts every field at its limits', () => {
    const request = JobRequestSchema.parse({
      type: 'a'.repeat(128),
      payload: { nested: [1, 'two', null, { three: true }] },
      priority: 'critical',
      capacity: 'gpu',
      idempotencyKey: 'k'.repeat(255),
      maxAttempts: 25,
      backoff: { strategy: 'linear', baseSeconds: 0.5, maxSeconds: 86_400, jitter: 'none' },
      timeoutSeconds: 43_200,
      delaySeconds: 365 * 86_400,
    });
    expect(request.maxAttempts).toBe(25);
  });

  it('names each unknown field in the error details', () => {
    const result = JobRequestSchema.safeParse({ type: 'noop', color: 1, size: 2 });
    expect(result.success).toBe(false);
    const error = InvalidInputError.fromZod(result.error!);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.map((d) => d.path).sort()).toEqual(['color', 'size']);
  });

  it('fuzz: any object either parses into a valid request or fails with named details', () => {
    const field = fc.constantFrom(
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
      'extra',
    );
    fc.assert(
      fc.property(fc.dictionary(field, fc.jsonValue(), { maxKeys: 6 }), (body) => {
        const result = JobRequestSchema.safeParse(body);
        if (result.success) {
          expect(result.data.type).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
          expect(result.data.maxAttempts).toBeGreaterThanOrEqual(1);
          return;
        }
        const error = InvalidInputError.fromZod(result.error);
        expect(error.details.length).toBeGreaterThan(0);
        for (const detail of error.details) expect(detail.message).not.toBe('');
      }),
      { numRuns: 2000 },
    );
  });

  describe('payload depth', () => {
    it.each([
      ['object', 2_000, ['object']],
      ['array', 2_000, ['array']],
      ['object', 100_000, ['object']],
      ['array', 100_000, ['array']],
      ['mixed', 100_000, ['object', 'array', 'array']],
    ] as const)(
      'refuses a %s payload %i levels deep with an issue at payload, without throwing',
      (_name, depth, kinds) => {
        const error = payloadIssue({ type: 'noop', payload: nested(depth, kinds) });
        expect(InvalidInputError.fromZod(error).details).toEqual([
          { path: 'payload', message: `must nest at most ${MAX_PAYLOAD_DEPTH} levels of objects and arrays` },
        ]);
      },
    );

    it('accepts exactly MAX_PAYLOAD_DEPTH levels and refuses one more', () => {
      expect(MAX_PAYLOAD_DEPTH).toBe(64);
      for (const kinds of [['object'], ['array'], ['array', 'object']] as const) {
        const deepest = nested(MAX_PAYLOAD_DEPTH, kinds);
        expect(JobRequestSchema.parse({ type: 'noop', payload: deepest }).payload).toEqual(deepest);
        // An empty container at the bottom still counts as a level.
        expect(
          JobRequestSchema.safeParse({ type: 'noop', payload: nested(MAX_PAYLOAD_DEPTH - 1, kinds, []) }).success,
        ).toBe(true);
        payloadIssue({ type: 'noop', payload: nested(MAX_PAYLOAD_DEPTH + 1, kinds) });
        payloadIssue({ type: 'noop', payload: nested(MAX_PAYLOAD_DEPTH, kinds, {}) });
      }
    });

    it('counts the deepest branch of a wide payload', () => {
      // The object, the array, then the nested levels.
      const wide = { shallow: [1, 2, { a: 3 }], deep: [nested(MAX_PAYLOAD_DEPTH - 2)] };
      expect(nestsWithin(wide, MAX_PAYLOAD_DEPTH)).toBe(true);
      expect(nestsWithin({ ...wide, deeper: [[nested(MAX_PAYLOAD_DEPTH - 2)]] }, MAX_PAYLOAD_DEPTH)).toBe(false);
      expect(nestsWithin('text', 0)).toBe(true);
      expect(nestsWithin(null, 0)).toBe(true);
      expect(nestsWithin([], 0)).toBe(false);
    });

    it('checks the depth before z.json() runs: a too-deep payload gets no other issue', () => {
      // z.json() would also refuse the function at the bottom; only the depth issue is reported.
      payloadIssue({ type: 'noop', payload: nested(MAX_PAYLOAD_DEPTH + 1, ['object'], () => 1) });
      // The same function within the limit does reach z.json(), which refuses it.
      const shallow = JobRequestSchema.safeParse({ type: 'noop', payload: nested(3, ['object'], () => 1) });
      expect(shallow.error!.issues.map((issue) => [issue.path, issue.code])).toEqual([[['payload'], 'invalid_union']]);
    });

    it("zod's pipe does not run its second stage after the first stage's issue", () => {
      let ran = 0;
      const piped = z
        .custom(() => false, { error: 'first' })
        .pipe(z.unknown().refine(() => ++ran > 0, { error: 'second' }));
      expect(piped.safeParse(1).error!.issues.map((issue) => issue.message)).toEqual(['first']);
      expect(ran).toBe(0);
    });

    it('refuses a deep value in any other field without throwing', () => {
      const deep = nested(100_000, ['array', 'object']);
      for (const field of [
        'type',
        'priority',
        'capacity',
        'idempotencyKey',
        'maxAttempts',
        'backoff',
        'timeoutSeconds',
        'delaySeconds',
        'runAt',
        'speculation',
        'extra',
      ]) {
        const result = JobRequestSchema.safeParse({ type: 'noop', [field]: deep });
        expect(result.success).toBe(false);
        expect(
          InvalidInputError.fromZod(result.error!).details.some(
            (d) => d.path === field || d.path.startsWith(`${field}.`),
          ),
        ).toBe(true);
      }
      const inBackoff = JobRequestSchema.safeParse({ type: 'noop', backoff: { baseSeconds: deep } });
      expect(InvalidInputError.fromZod(inBackoff.error!).details.map((d) => d.path)).toContain('backoff.baseSeconds');
    });

    it('fuzz: payloads of any depth and mix parse exactly when within the limit, never throwing', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 3 * MAX_PAYLOAD_DEPTH }),
          fc.array(fc.constantFrom<Container>('object', 'array'), { minLength: 1, maxLength: 5 }),
          (depth, kinds) => {
            const result = JobRequestSchema.safeParse({ type: 'noop', payload: nested(depth, kinds) });
            expect(result.success).toBe(depth <= MAX_PAYLOAD_DEPTH);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('fuzz: any JSON payload either parses or gives issues, never throws', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 8, stringUnit: anyCharacter }), (payload) => {
          const result = JobRequestSchema.safeParse({ type: 'noop', payload });
          if (result.success) {
            // z.json() drops "__proto__" keys (zod guards its output's prototype); all else survives.
            const text = JSON.stringify(payload);
            if (!text.includes('"__proto__":')) expect(JSON.stringify(result.data.payload)).toBe(text);
            return;
          }
          expect(InvalidInputError.fromZod(result.error).details.length).toBeGreaterThan(0);
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('what reaches DynamoDB', () => {
    it('refuses backoff seconds below 1 ms, which DynamoDB would refuse or which mean nothing', () => {
      for (const tiny of [1e-200, 5e-324, 1e-131, 0.0009, 0, -0, -1]) {
        for (const field of ['baseSeconds', 'maxSeconds']) {
          const result = JobRequestSchema.safeParse({
            type: 'noop',
            backoff: { baseSeconds: 0.001, maxSeconds: 1, [field]: tiny },
          });
          expect(result.success).toBe(false);
          expect(InvalidInputError.fromZod(result.error!).details).toContainEqual({
            path: `backoff.${field}`,
            message: 'must be at least 0.001 (1 ms)',
          });
        }
      }
      const smallest = JobRequestSchema.parse({ type: 'noop', backoff: { baseSeconds: 0.001, maxSeconds: 0.001 } });
      expect(smallest.backoff).toMatchObject({ baseSeconds: 0.001, maxSeconds: 0.001 });
    });

    it('fuzz: every accepted number is one DynamoDB stores (1E-130 ≤ |n| < 1E126, ≤ 38 digits, or 0)', () => {
      const storable = (n: number) =>
        n === 0 ||
        (Number.isFinite(n) &&
          Math.abs(n) >= 1e-130 &&
          Math.abs(n) < 1e126 &&
          n
            .toExponential()
            .replace(/^-?|e.*$/g, '')
            .replace('.', '').length <= 38);
      const number = fc.oneof(
        fc.double(),
        fc.integer(),
        fc.constantFrom(1e-200, 5e-324, 1e300, Number.MAX_VALUE, Number.MIN_VALUE, 0.001, 3600, 86_400),
      );
      fc.assert(
        fc.property(
          fc.record(
            {
              baseSeconds: number,
              maxSeconds: number,
              maxAttempts: number,
              timeoutSeconds: number,
              delaySeconds: number,
            },
            { requiredKeys: [] },
          ),
          ({ baseSeconds, maxSeconds, ...rest }) => {
            const result = JobRequestSchema.safeParse({ type: 'noop', ...rest, backoff: { baseSeconds, maxSeconds } });
            if (!result.success) return;
            const { backoff, maxAttempts, timeoutSeconds, delaySeconds } = result.data;
            for (const n of [backoff.baseSeconds, backoff.maxSeconds, maxAttempts, timeoutSeconds, delaySeconds ?? 0])
              expect(storable(n)).toBe(true);
          },
        ),
        { numRuns: 2000 },
      );
    });

    it('accepts lone surrogates and odd Unicode in a payload; its JSON text is well-formed', () => {
      const payload = {
        '\uD800': 'a\uDC00b',
        lone: ['\uDBFF', '\uDFFF', '\uDC00\uD800'],
        controls: '\u0000\u0001\u001f\u007f\u0085',
        separators: '\u2028\u2029\uFEFF\uFFFE\uFFFF',
        astral: '😀\u{10FFFF}',
        bidi: '\u202Eevil',
      };
      const parsed = JobRequestSchema.parse({ type: 'noop', payload });
      const text = JSON.stringify(parsed.payload);
      expect(text).toContain('\\ud800');
      expect(text).toContain('\\u0000');
      // Well-formed UTF-16: survives a UTF-8 round trip unchanged, and reads back as the payload.
      expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
      expect(JSON.parse(text)).toEqual(payload);
    });

    it('fuzz: the payload JSON text is well-formed UTF-16 for any strings', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 3, stringUnit: anyCharacter }), (payload) => {
          const result = JobRequestSchema.safeParse({ type: 'noop', payload });
          if (!result.success) return;
          const text = JSON.stringify(result.data.payload);
          expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
        }),
        { numRuns: 1000 },
      );
    });
  });
});
