import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NonRetryableError } from '../src/jobs/model/index.ts';
import { defineHandler } from './define-handler.ts';
import { type JobContext, JobEffects } from './job-handler.ts';

const context: JobContext = {
  jobId: 'j1',
  type: 'greet',
  tenant: 'default',
  attempt: 1,
  speculative: false,
  workerId: 'w1',
  reportProgress: () => undefined,
  signal: new AbortController().signal,
  logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  effects: new JobEffects(),
  spawn: () => undefined,
};

const greet = defineHandler({
  payload: z.strictObject({ name: z.string().min(1) }),
  run: ({ name }) => ({ greeting: `Hello, ${name}!` }),
});

describe('defineHandler', () => {
  it('gives run the parsed, typed payload and returns its result', async () => {
    await expect(greet({ name: 'Ada' }, context)).resolves.toEqual({ greeting: 'Hello, Ada!' });
  });

  it('refuses a payload that fails the schema as non-retryable, naming each field', async () => {
    const attempt = greet({ name: '', colour: 'blue' }, context);

    await expect(attempt).rejects.toBeInstanceOf(NonRetryableError);
    await expect(attempt).rejects.toThrow(/invalid payload for greet: payload\.name: .*; payload: .*colour/);
  });

  it('passes the payload through untouched without a schema', async () => {
    const echo = defineHandler({ run: async (payload) => payload });

    await expect(echo([1, 'two'], context)).resolves.toEqual([1, 'two']);
  });
});
