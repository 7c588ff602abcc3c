import { z } from 'zod';
import type { VariableName } from './names.ts';

/** Writes a JSON setting as text; the stack passes its own so the CDK tokens inside resolve at deploy. */
export type JsonWriter = (value: unknown) => string;

/**
 * One setting carried by an environment variable: the zod schema that parses the variable's text
 * (an unset variable arrives as `undefined`, so a `.default()` or `.optional()` outermost makes it
 * optional) and how a setting is written back as text (`undefined`: leave the variable unset).
 */
export interface Variable<S extends z.ZodType = z.ZodType> {
  readonly name: VariableName;
  readonly schema: S;
  write(value: NonNullable<z.output<S>>, json: JsonWriter): string | undefined;
}

export function variable<S extends z.ZodType>(
  name: VariableName,
  schema: S,
  write: Variable<S>['write'] = String,
): Variable<S> {
  return { name, schema, write };
}

/** Parses one variable's text: the setting, or what is wrong with the text. */
export function parseVariable<S extends z.ZodType>(
  variable: Pick<Variable<S>, 'schema'>,
  text: string | undefined,
): { ok: true; value: z.output<S> } | { ok: false; problem: string } {
  // `NAME=` in a shell or a compose file means unset, not an empty table name or 0.
  const given = text === '' ? undefined : text;
  const parsed = z.safeParse(variable.schema, given);
  if (parsed.success) return { ok: true, value: parsed.data };
  if (given === undefined) return { ok: false, problem: 'is not set' };
  const where = (path: PropertyKey[]) => (path.length > 0 ? `${path.map(String).join('.')}: ` : '');
  return { ok: false, problem: parsed.error.issues.map((issue) => where(issue.path) + issue.message).join('; ') };
}

/** A table, group or parameter name, as the stack hands it over. */
export const resourceName = z.string();

export const arn = z.string().startsWith('arn:');

/** JSON text, then checked by `schema`. */
export function jsonText<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** A duration the variable gives in seconds (checked by `check`) and the setting holds in milliseconds. */
export function secondsAsMs(name: VariableName, check: z.ZodType<number>, defaultMs: number) {
  return variable(name, check.transform((s) => Math.round(s * 1000)).default(defaultMs), (ms) => String(ms / 1000));
}
