import { z } from 'zod';
import { CAPACITIES, PRIORITIES } from './classes.ts';

/** The query fields of every paginated list (`GET /jobs`, `GET /dlq`): which queues, how many, from where. */
export const pageQueryFields = {
  capacity: z.enum(CAPACITIES).optional(),
  priority: z.enum(PRIORITIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  // Empty is refused, not read as "first page": a client that sends `cursor=` has lost its place.
  cursor: z.string().min(1, 'is empty: leave cursor out for the first page').optional().meta({
    description:
      'the `cursor` of the previous page of the same query, as it came; left out for the first page. Any other value is a 400',
  }),
};
