import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TailguardError } from '../../src/jobs/model/index.ts';
import { httpStatusOf } from './error-status.ts';
import { jsonObjectBody, MAX_BODY_BYTES } from './json-body.ts';

const event = (body: string | null, isBase64Encoded = false) => ({ body, isBase64Encoded }) as APIGatewayProxyEvent;

describe('jsonObjectBody', () => {
  it('parses a JSON object, also when API Gateway base64-encodes it', () => {
    expect(jsonObjectBody(event('{"type":"noop"}'))).toEqual({ type: 'noop' });
    expect(jsonObjectBody(event(Buffer.from('{"type":"noop"}').toString('base64'), true))).toEqual({ type: 'noop' });
  });

  it('refuses a body over the limit with 413 before parsing', () => {
    const error = thrownBy(() => jsonObjectBody(event(`"${'x'.repeat(MAX_BODY_BYTES)}"`)));
    expect(httpStatusOf(error)).toBe(413);
  });

  it('fuzz: any text is a JSON object or a 400 with a JSON error body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant(null)), (text) => {
        let parsed: unknown;
        try {
          parsed = jsonObjectBody(event(text));
        } catch (error) {
          expect(error).toBeInstanceOf(TailguardError);
          expect(httpStatusOf(error)).toBe(400);
          expect((error as TailguardError).details.length).toBeGreaterThan(0);
          return;
        }
        expect(typeof parsed).toBe('object');
        expect(Array.isArray(parsed)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

function thrownBy(f: () => unknown): TailguardError {
  try {
    f();
  } catch (error) {
    if (error instanceof TailguardError) return error;
    throw error;
  }
  throw new Error('expected a TailguardError');
}
