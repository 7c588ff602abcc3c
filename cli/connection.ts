import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ClientAuth, CreateClientOptions } from '../src/client/index.ts';
import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';

/** What the local runtime writes for tools (more fields may be there; these are the ones read). */
export const LOCAL_STATE_FILE = join('.tailguard', 'local.json');

const ApiUrlSchema = z.url({ protocol: /^https?$/ });

const LocalStateSchema = z.object({
  apiUrl: ApiUrlSchema,
  region: z.string().min(1).optional(),
  auth: z.union([z.enum(['iam', 'none']), z.strictObject({ apiKey: z.string().min(1) })]).optional(),
  /** The local emulator's own test credentials (`tailguard dev` writes them): it checks signatures against these. */
  credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }).optional(),
});

export const AUTH_MODES = ['iam', 'api-key', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** The global options that say which API to talk to, and how. */
export interface ConnectionFlags {
  api?: string;
  region?: string;
  auth?: AuthMode;
}

/**
 * Which API, in this order: `--api`, then `TAILGUARD_API`, then `.tailguard/local.json` in the
 * current directory, whose `region` and `auth` apply only to its own `apiUrl`. Auth: `--auth`,
 * then `TAILGUARD_AUTH`, then the file's, else `iam`; an `api-key` is read from `TAILGUARD_API_KEY`
 * only, so it stays out of shell history and process lists.
 */
export function resolveConnection(flags: ConnectionFlags, io: Pick<CliIo, 'env' | 'cwd'>): CreateClientOptions {
  const mode = flags.auth ?? authModeFromEnv(io.env.TAILGUARD_AUTH);
  const auth = mode && authFor(mode, io.env.TAILGUARD_API_KEY);
  const apiUrl = flags.api || io.env.TAILGUARD_API;
  if (apiUrl) {
    if (!ApiUrlSchema.safeParse(apiUrl).success) throw new CliError('INVALID_API', `not an http(s) URL: ${apiUrl}`);
    return { apiUrl, region: flags.region, auth: auth ?? 'iam' };
  }
  const local = readLocalState(io.cwd);
  return {
    apiUrl: local.apiUrl,
    region: flags.region ?? local.region,
    auth: auth ?? local.auth ?? 'iam',
    ...(local.credentials && { credentials: local.credentials }),
  };
}

function authModeFromEnv(value: string | undefined): AuthMode | undefined {
  if (!value) return undefined;
  const mode = z.enum(AUTH_MODES).safeParse(value);
  if (!mode.success) throw new CliError('INVALID_AUTH', `TAILGUARD_AUTH must be one of ${AUTH_MODES.join(', ')}`);
  return mode.data;
}

function authFor(mode: AuthMode, apiKey: string | undefined): ClientAuth {
  if (mode !== 'api-key') return mode;
  if (!apiKey) throw new CliError('INVALID_AUTH', 'auth api-key needs the key in TAILGUARD_API_KEY');
  return { apiKey };
}

function readLocalState(cwd: string): z.output<typeof LocalStateSchema> {
  const path = join(cwd, LOCAL_STATE_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CliError(
      'NO_API',
      `no API to talk to: pass --api <url>, set TAILGUARD_API, or run \`tailguard dev\` here to write ${LOCAL_STATE_FILE}`,
    );
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new CliError('INVALID_LOCAL_STATE', `${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = LocalStateSchema.safeParse(state);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw new CliError('INVALID_LOCAL_STATE', `${path} does not say which API to use`, details);
  }
  return parsed.data;
}
