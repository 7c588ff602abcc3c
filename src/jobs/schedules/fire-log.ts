import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { writtenIf } from '../store/index.ts';

/** One fire of a schedule: the job it made, or that it was skipped, or that it waits (bufferOne). */
export interface FireRecord {
  /** ISO 8601, UTC: the scheduled time of the fire. */
  fireTime: string;
  outcome: 'made' | 'skipped' | 'buffered';
  jobId?: string;
}

/** Fires kept per schedule: `GET /schedules/{name}` and `GET /jobs?schedule=` show these. */
export const FIRES_KEPT = 50;
/** Tries of a fire log write that lost a race with another fire of the same schedule. */
const WRITE_TRIES = 5;

const itemName = (schedule: string) => `schedule-fires#${schedule}`;

/**
 * Each schedule's latest fires, newest first, in one item of the coordination table: what the
 * overlap policy reads (the previous fire's job) and what the API shows. Written read-modify-write
 * under a version condition, so two fires of one schedule never drop each other's record.
 */
export class FireLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The schedule's recorded fires, newest first (empty when it has none). */
  async read(schedule: string): Promise<FireRecord[]> {
    return (await this.item(schedule)).fires;
  }

  /** Records a fire, replacing the record of the same fire time; keeps the newest FIRES_KEPT. */
  async add(schedule: string, entry: FireRecord): Promise<void> {
    for (let tries = 1; ; tries++) {
      const { fires, version } = await this.item(schedule);
      const next = [entry, ...fires.filter((r) => r.fireTime !== entry.fireTime)]
        .sort((a, b) => b.fireTime.localeCompare(a.fireTime))
        .slice(0, FIRES_KEPT);
      const written = await writtenIf(
        this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { name: itemName(schedule), fires: next, version: version + 1 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(#name)' : '#version = :version',
            ExpressionAttributeNames: version === 0 ? { '#name': 'name' } : { '#version': 'version' },
            ...(version === 0 ? {} : { ExpressionAttributeValues: { ':version': version } }),
          }),
        ),
      );
      if (written) return;
      if (tries >= WRITE_TRIES) throw new Error(`fire log of ${schedule}: ${WRITE_TRIES} writes lost their race`);
    }
  }

  /** Forgets a deleted schedule's fires, so a new schedule of the same name starts with none. */
  async remove(schedule: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { name: itemName(schedule) } }));
  }

  private async item(schedule: string): Promise<{ fires: FireRecord[]; version: number }> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { name: itemName(schedule) }, ConsistentRead: true }),
    );
    return {
      fires: (Item?.fires as FireRecord[] | undefined) ?? [],
      version: (Item?.version as number | undefined) ?? 0,
    };
  }
}
