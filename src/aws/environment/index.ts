import type { z } from 'zod';
import { PROCESS_KINDS, type ProcessKind, type SectionsOf } from './kinds.ts';
import { SECTIONS, type SectionName, type Sections } from './sections.ts';
import { type JsonWriter, parseVariable, type Variable } from './variable.ts';

export { PROCESS_KINDS, type ProcessKind } from './kinds.ts';
export { ENV, type VariableName } from './names.ts';
export { SECTIONS, type SectionName } from './sections.ts';
export { type JsonWriter, parseVariable, type Variable } from './variable.ts';

/** The environment a process reads: `process.env`, or any record of variables. */
export type Environment = Readonly<Record<string, string | undefined>>;

type Output<V> = V extends Variable<infer S> ? z.output<S> : never;
type Value<V> = NonNullable<Output<V>>;
type OptionalField<T> = { [F in keyof T]: T[F] extends Variable<z.ZodDefault | z.ZodOptional> ? F : never }[keyof T];

/** A section's typed settings, as a process reads them (defaults applied). */
export type Settings<K extends SectionName> = { -readonly [F in keyof Sections[K]]: Output<Sections[K][F]> };

/** A section's settings as a writer gives them: fields with a default, or optional, may be left out. */
export type SettingsInput<K extends SectionName> = {
  -readonly [F in Exclude<keyof Sections[K], OptionalField<Sections[K]>>]: Value<Sections[K][F]>;
} & { -readonly [F in OptionalField<Sections[K]>]?: Value<Sections[K][F]> };

/** Some sections' settings as a writer gives them, by section. */
export type SectionsInput<K extends SectionName> = { [S in K]: SettingsInput<S> };

/** Every section a kind of process reads, by section. */
export type KindSettings<P extends ProcessKind> = { [K in SectionsOf<P>]: Settings<K> };
export type KindSettingsInput<P extends ProcessKind> = SectionsInput<SectionsOf<P>>;

/**
 * Reads one section: call it where the code that needs it is built, so a process needs only the
 * variables of what it touches. Throws naming every variable that is missing or malformed.
 */
export function readSection<K extends SectionName>(section: K, env: Environment = process.env): Settings<K> {
  return read([section], env)[section] as Settings<K>;
}

/** Reads every section of a kind of process at once (one error lists every bad variable). */
export function readEnvironment<P extends ProcessKind>(kind: P, env: Environment = process.env): KindSettings<P> {
  return read(PROCESS_KINDS[kind], env) as KindSettings<P>;
}

/** The variables that carry one section's settings; a setting left out is left unset. */
export function writeSection<K extends SectionName>(
  section: K,
  settings: SettingsInput<K>,
  json: JsonWriter = JSON.stringify,
): Record<string, string> {
  return write(section, settings, json);
}

/**
 * The environment record of a kind of process (a Lambda's or ECS task's `environment`, a local
 * worker's env), from its typed settings. The stack passes `json` so tokens in JSON settings resolve.
 */
export function environmentFor<P extends ProcessKind>(
  kind: P,
  settings: KindSettingsInput<P>,
  json: JsonWriter = JSON.stringify,
): Record<string, string> {
  const bySection = settings as Partial<Record<SectionName, Readonly<Record<string, unknown>>>>;
  return Object.assign(
    {},
    ...PROCESS_KINDS[kind].map((section: SectionName) => write(section, bySection[section] ?? {}, json)),
  );
}

function write(
  section: SectionName,
  settings: Readonly<Record<string, unknown>>,
  json: JsonWriter,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [field, variable] of fields(section)) {
    const value = settings[field];
    const text = value == null ? undefined : variable.write(value, json);
    if (text !== undefined) env[variable.name] = text;
  }
  return env;
}

function read(sections: readonly SectionName[], env: Environment): Record<string, Record<string, unknown>> {
  const settings: Record<string, Record<string, unknown>> = {};
  const problems: string[] = [];
  for (const section of sections) {
    const values: Record<string, unknown> = {};
    settings[section] = values;
    for (const [field, variable] of fields(section)) {
      const parsed = parseVariable(variable, env[variable.name]);
      if (parsed.ok) values[field] = parsed.value;
      else problems.push(`${variable.name}: ${parsed.problem}`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid environment: ${problems.join('; ')}`);
  return settings;
}

function fields(section: SectionName): [string, Variable][] {
  return Object.entries(SECTIONS[section]);
}
