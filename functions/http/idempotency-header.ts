import { InvalidInputError } from '../../src/jobs/model/index.ts';
import { type HttpEvent, header } from './http-handler.ts';

/**
 * Merges the `Idempotency-Key` header into a body that takes `idempotencyKey` (`POST /jobs`,
 * `POST /workflows`); both given and different is an error.
 */
export function withIdempotencyHeader(event: HttpEvent, body: Record<string, unknown>): Record<string, unknown> {
  const fromHeader = header(event, 'Idempotency-Key');
  if (fromHeader === undefined) return body;
  if (body.idempotencyKey !== undefined && body.idempotencyKey !== fromHeader) {
    throw new InvalidInputError([{ path: 'idempotencyKey', message: 'differs from the Idempotency-Key header' }]);
  }
  return { ...body, idempotencyKey: fromHeader };
}
