import type { ErrorDetail, TailguardError } from '../jobs/model/index.ts';

export type { ErrorDetail };

/** The one error shape of the HTTP API: `{error: {code, message, details}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

export function toErrorBody(error: Pick<TailguardError, 'code' | 'message' | 'details'>): ErrorBody {
  return { error: { code: error.code, message: error.message, details: error.details } };
}
