import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import type { TenantSettings } from './tenant-settings.ts';

/** The coordination-table item of a tenant's stored settings. Read by fair dispatch too: keep the format. */
export const tenantItemName = (tenant: string): string => `tenant#${tenant}`;

const PREFIX = tenantItemName('');

interface TenantItem {
  name: string;
  settings: TenantSettings;
}

/**
 * The tenants' settings changed at run time (`PUT /tenants/{tenant}`), one item each in the
 * coordination table: `{ name: 'tenant#<id>', settings }`. They override the construct's props
 * until deleted; readers see them through TenantSettingsReader's cache.
 */
export class TenantOverrides {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(tenant: string): Promise<TenantSettings | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { name: tenantItemName(tenant) }, ConsistentRead: true }),
    );
    return (Item as TenantItem | undefined)?.settings;
  }

  /** Replaces the tenant's stored settings (a field left out falls back to the props). */
  async put(tenant: string, settings: TenantSettings): Promise<void> {
    const item: TenantItem = { name: tenantItemName(tenant), settings };
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
  }

  /** Drops the tenant's stored settings; true when it had some. */
  async delete(tenant: string): Promise<boolean> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: { name: tenantItemName(tenant) }, ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  /**
   * Every stored override, by tenant. A scan of the coordination table filtered to these items: an
   * operator's view, read rarely; the table's other items (slots, windows, turns) are few and small.
   */
  async list(): Promise<Map<string, TenantSettings>> {
    const overrides = new Map<string, TenantSettings>();
    const pages = paginateScan(
      { client: this.db },
      {
        TableName: this.table,
        FilterExpression: 'begins_with(#name, :prefix)',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':prefix': PREFIX },
      },
    );
    for await (const page of pages) {
      for (const item of (page.Items ?? []) as TenantItem[])
        overrides.set(item.name.slice(PREFIX.length), item.settings);
    }
    return overrides;
  }
}
