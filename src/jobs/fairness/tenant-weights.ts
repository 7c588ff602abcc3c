import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';

/** A tenant's share of each queue against the other tenants with work there (1 unless set). */
export interface TenantWeights {
  weightOf(tenant: string): Promise<number>;
}

export const DEFAULT_WEIGHT = 1;

/** Every tenant the same share. */
export const EQUAL_WEIGHTS: TenantWeights = { weightOf: async () => DEFAULT_WEIGHT };

/** How long a read weight is used before it is read again: a change reaches every process within this. */
export const WEIGHT_CACHE_MS = 5_000;

/** The part of a stored tenant override that fairness reads; anything else in it is the quotas'. */
const StoredSettingsSchema = z.object({
  settings: z.object({ weight: z.int().min(1).max(1000).optional() }).optional(),
});

/**
 * Weights from the runtime overrides in the coordination table (item `tenant#<id>`, `settings.weight`:
 * the agreed storage of tenant settings), each cached a few seconds. Until the tenant settings
 * reader (src/jobs/tenants) is merged this is fairness's own reader; it then replaces this class
 * behind `TenantWeights`. A malformed item counts as no override.
 */
export class StoredTenantWeights implements TenantWeights {
  private readonly cache = new Map<string, { weight: number; readAt: number }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  async weightOf(tenant: string): Promise<number> {
    const cached = this.cache.get(tenant);
    if (cached && this.now() - cached.readAt < WEIGHT_CACHE_MS) return cached.weight;
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { name: `tenant#${tenant}` } }));
    const parsed = StoredSettingsSchema.safeParse(Item ?? {});
    const weight = (parsed.success && parsed.data.settings?.weight) || DEFAULT_WEIGHT;
    this.cache.set(tenant, { weight, readAt: this.now() });
    return weight;
  }
}
