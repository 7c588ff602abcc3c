import { InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';
import { JobRequestSchema } from '../src/jobs/intake/index.ts';
import { jsonValue } from './arguments.ts';

type RequestField = keyof typeof JobRequestSchema.shape;

/**
 * Help for each field of `POST /jobs` that `tailguard submit` takes as an option. Typed by the
 * request schema: a field added to the API fails to compile here until the CLI says what it is,
 * and the option itself (name, parser, choices) is derived from the schema (`requestOptions`).
 */
const HELP: Record<Exclude<RequestField, 'type'>, string> = {
  payload: 'payload, any JSON (over 5 MiB it is uploaded first)',
  payloadRef: 'a payload uploaded through POST /uploads',
  tenant: 'who the job is for (quotas and fair shares are per tenant)',
  priority: 'priority',
  capacity: 'capacity class',
  idempotencyKey: 'submitting again with the key answers what the first submission created',
  maxAttempts: 'attempts before the job is DEAD',
  backoff: 'retry backoff, JSON: {"strategy":"exponential","baseSeconds":2,"maxSeconds":300,"jitter":"full"}',
  timeoutSeconds: "each attempt's time limit",
  delaySeconds: 'start no sooner than this (alias --delay)',
  runAt: 'start at this ISO 8601 time',
  speculation: 'false: never race a backup of this job',
};

/** `maxAttempts` → `--max-attempts`. */
export const optionName = (field: string): string => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The schema under optional/default wrappers: what an option's value must be. */
function inner(schema: z.ZodType): z.ZodType {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (['optional', 'default', 'nullable', 'readonly'].includes(s.def.type)) s = s.def.innerType as typeof s;
  return s;
}

/** One option per field of the `POST /jobs` body but `type` (the command's argument). */
export function requestOptions(): Option[] {
  return (Object.keys(HELP) as (keyof typeof HELP)[]).map((field) => {
    const schema = inner(JobRequestSchema.shape[field]) as z.ZodType & {
      def: { type: string };
      options?: readonly string[];
    };
    const name = optionName(field);
    switch (schema.def.type) {
      case 'enum':
        return new Option(`--${name} <${name}>`, HELP[field]).choices(schema.options ?? []);
      case 'number':
        return new Option(`--${name} <n>`, HELP[field]).argParser(numberValue);
      case 'boolean':
        return new Option(`--${name} <true|false>`, HELP[field]).argParser(booleanValue);
      case 'string':
        return new Option(`--${name} <${name}>`, HELP[field]);
      default:
        return new Option(`--${name} <json>`, HELP[field]).argParser(jsonValue);
    }
  });
}

/** The request fields among parsed options (commander's camelCase names are the field names). */
export function requestFields(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(HELP).flatMap((field) => (flags[field] === undefined ? [] : [[field, flags[field]]])),
  );
}

function numberValue(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
}

function booleanValue(value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidArgumentError('must be true or false');
}
