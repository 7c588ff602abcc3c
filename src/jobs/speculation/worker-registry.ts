import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { Capacity } from '../model/index.ts';

/** What a worker says of itself, every few seconds, in the workers table. */
export interface WorkerReport {
  workerId: string;
  capacity: Capacity;
  /** Measured speed against its class (1 = normal, see workers/speed-meter.ts); absent until measured. */
  speed?: number;
  /** Its latest host pace probe reading, in ms (workers/pace-probe.ts): its class's median is the normal. Absent from older workers. */
  hostPaceMs?: number;
  /** Measured slow: only work that waited, no backups. */
  onProbation: boolean;
  /** Attempts it takes at once now, and how many it is running. */
  slots: number;
  running: number;
  /**
   * The jobs it runs attempts of: the detector's, the stats' and `GET /jobs?status=RUNNING`'s view
   * of running jobs, which the status index leaves out (status-key.ts). Absent from older workers.
   */
  jobIds?: string[];
  /**
   * Per tenant it ran jobs of lately: its attempts running now, and its queue waits over the last
   * minutes (an encoded histogram, for the busiest tenants only; tenant-stats/). Absent from older workers.
   */
  tenants?: Record<string, { running: number; waits?: string }>;
  startedAt: string;
  lastSeenAt: string;
}

interface WorkerItem extends WorkerReport {
  /** Epoch seconds: the record means nothing after this, and DynamoDB's TTL removes it. */
  expiresAt: number;
}

/** The live workers of every class: one item per worker, rewritten by the worker, expiring when it stops. */
export class WorkerRegistry {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async report(report: WorkerReport, validForSeconds: number): Promise<void> {
    const item: WorkerItem = {
      ...report,
      expiresAt: Math.ceil(Date.parse(report.lastSeenAt) / 1000 + validForSeconds),
    };
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
  }

  async remove(workerId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { workerId } }));
  }

  /** Workers whose last report is still valid (TTL deletes lazily, so expired items are skipped here). */
  async live(now = Date.now()): Promise<WorkerReport[]> {
    const workers: WorkerReport[] = [];
    for await (const page of paginateScan({ client: this.db }, { TableName: this.table })) {
      for (const { expiresAt, ...report } of (page.Items ?? []) as WorkerItem[])
        if (expiresAt * 1000 > now) workers.push(report);
    }
    return workers.sort((a, b) => a.capacity.localeCompare(b.capacity) || a.workerId.localeCompare(b.workerId));
  }
}
