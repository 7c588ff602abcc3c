import { z } from 'zod';

/** The `{id}` path parameter of `/jobs/{id}` and `/dlq/{id}`: jobs get random UUIDs. */
export const JobIdSchema = z.uuid();
