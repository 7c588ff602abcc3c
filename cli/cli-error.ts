import type { ErrorDetail } from '../src/client/index.ts';

/** A failure of the CLI itself (no API to talk to, an unreadable state file), reported like the API's. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * The lines an error is reported with: `code: message`, then `  path: message` per detail. Errors
 * without a code (a refused connection, missing credentials) go by their name, with their cause.
 */
export function describeError(error: unknown): string[] {
  if (!(error instanceof Error)) return [`ERROR: ${String(error)}`];
  const code = 'code' in error && typeof error.code === 'string' ? error.code : error.name;
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  const details = 'details' in error && Array.isArray(error.details) ? (error.details as ErrorDetail[]) : [];
  return [`${code}: ${error.message}${cause}`, ...details.map((d) => `  ${d.path || '(body)'}: ${d.message}`)];
}
