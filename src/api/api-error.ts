import type { z } from 'zod';

export interface ErrorDetail {
  path: string;
  message: string;
}

/** The one error shape of the HTTP API: `{error: {code, message, details}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }

  static validation(details: ErrorDetail[]): ApiError {
    const summary = details.map((d) => `${d.path || '(body)'}: ${d.message}`).join('; ');
    return new ApiError(400, 'VALIDATION_FAILED', `invalid request: ${summary}`, details);
  }

  static fromZod(error: z.ZodError, pathPrefix = ''): ApiError {
    const details = error.issues.flatMap((issue): ErrorDetail[] => {
      const base = [pathPrefix, ...issue.path.map(String)].filter(Boolean).join('.');
      // Unknown fields have an empty path; name each field instead.
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({ path: base ? `${base}.${key}` : key, message: 'unknown field' }));
      }
      return [{ path: base, message: issue.message }];
    });
    return ApiError.validation(details);
  }
}
