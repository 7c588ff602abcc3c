import { type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { LocalDeployment } from '../../local/deploy.ts';
import { isTerminal, JOB_STATUSES } from '../../src/jobs/model/index.ts';
import { splitPlaces, type TenantWindow } from '../../src/jobs/store/index.ts';
import { scanAll } from './job-table.ts';

const UNENDED = JOB_STATUSES.filter((status) => !isTerminal(status));

/**
 * What the deployed stack still holds after the integration suite, in a few lines for a failed
 * run's log (CI shows its end): tenants' windows with held jobs or live places, and the jobs not ended
 * by status and tenant. A window counting jobs held that no job backs, or places that never come
 * back, reads here at a glance.
 */
export async function stackReport(
  dynamodb: DynamoDBClient,
  deployment: LocalDeployment,
  now = Date.now(),
): Promise<string[]> {
  const windows = (await scanAll<TenantWindow & { name: string }>(dynamodb, deployment.coordinationTable))
    .filter((item) => item.name.startsWith('window#'))
    .map((item) => ({
      name: item.name,
      held: Number(item.held ?? 0),
      next: item.next ?? [],
      ...splitPlaces(item.holders ?? {}, now),
    }));
  // Places left to expire (messages purged, workers killed) clear at the next take: one line for all.
  const stale = windows.filter((w) => w.held === 0 && w.next.length === 0 && w.live === 0 && w.expired.length > 0);
  const busy = windows
    .filter((w) => w.held !== 0 || w.next.length > 0 || w.live > 0)
    .map(
      (w) => `${w.name}: held ${w.held}, next ${w.next.length}, places ${w.live} live + ${w.expired.length} expired`,
    );
  const unended = new Map<string, number>();
  const scan = paginateScan(
    { client: dynamodb },
    {
      TableName: deployment.jobsTable,
      ProjectionExpression: '#status, tenant',
      // Workflow items have a status too; they are not jobs.
      FilterExpression: `#status IN (${UNENDED.map((_, i) => `:s${i}`).join(', ')}) AND attribute_not_exists(stepNames)`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: Object.fromEntries(UNENDED.map((status, i) => [`:s${i}`, { S: status }])),
    },
  );
  for await (const page of scan) {
    for (const item of page.Items ?? []) {
      const { status, tenant = 'default' } = unmarshall(item) as { status: string; tenant?: string };
      const key = `${status} ${tenant}`;
      unended.set(key, (unended.get(key) ?? 0) + 1);
    }
  }
  const jobs = [...unended].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return [
    `windows with held jobs, listed jobs or live places: ${busy.length ? '' : 'none'}`,
    ...busy.slice(0, 10).map((line) => `  ${line}`),
    ...(stale.length ? [`  and ${stale.length} with only expired places`] : []),
    `jobs not ended (status tenant: count), most first: ${jobs.length ? '' : 'none'}`,
    ...jobs.map(([key, count]) => `  ${key}: ${count}`),
  ];
}
