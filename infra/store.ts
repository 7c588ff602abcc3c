import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, type TablePropsV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BY_STATUS_INDEX, STATUS_SHARD_ATTRIBUTE } from '../src/jobs/store/index.ts';

/** What a process does with the jobs table; each maps to explicit actions on explicit ARNs. */
export type JobsAccess = 'read' | 'readMany' | 'write' | 'writeMany' | 'listByStatus';

/** The index of every job by `status#capacity#priority` that Tailguard 0.1 kept (docs/migration.md). */
const LEGACY_STATUS_INDEX = 'byStatus';

/** The jobs table (one item per job, its attempts inside) and the idempotency-key table. */
export class JobStoreTables extends Construct {
  readonly jobs: TableV2;
  readonly idempotency: TableV2;
  /** Run-time histograms per job type and class, and per worker (src/jobs/latency-stats.ts). */
  readonly stats: TableV2;
  /** Live workers and their measured speed (src/jobs/worker-registry.ts); items expire with TTL. */
  readonly workers: TableV2;
  /**
   * Small items that coordinate processes (src/jobs/store/): named turns (one detector pass per
   * class at a time), and the slots and rate windows of per-type limits (src/jobs/limits).
   */
  readonly coordination: TableV2;

  constructor(
    scope: Construct,
    id: string,
    props: {
      removalPolicy: RemovalPolicy;
      /** Keep 0.1's `byStatus` index for one deployment while the new one fills (docs/migration.md). */
      keepLegacyStatusIndex?: boolean;
    },
  ) {
    super(scope, id);
    // Every table: on-demand, AWS-managed encryption, keyed by one string attribute.
    const table = (name: string, key: string, extra: Omit<TablePropsV2, 'partitionKey'> = {}) =>
      new TableV2(this, name, {
        partitionKey: { name: key, type: AttributeType.STRING },
        billing: Billing.onDemand(),
        encryption: TableEncryptionV2.awsManagedKey(),
        removalPolicy: props.removalPolicy,
        ...extra,
      });
    const pointInTimeRecovery = { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } };
    this.jobs = table('Jobs', 'id', {
      ...pointInTimeRecovery,
      // Sparse: only jobs in an indexed status carry the key (src/jobs/store/status-key.ts).
      globalSecondaryIndexes: [
        {
          indexName: BY_STATUS_INDEX,
          partitionKey: { name: STATUS_SHARD_ATTRIBUTE, type: AttributeType.STRING },
          sortKey: { name: 'updatedAt', type: AttributeType.STRING },
        },
        ...(props.keepLegacyStatusIndex
          ? [
              {
                indexName: LEGACY_STATUS_INDEX,
                partitionKey: { name: 'statusKey', type: AttributeType.STRING },
                sortKey: { name: 'updatedAt', type: AttributeType.STRING },
              },
            ]
          : []),
      ],
    });
    this.idempotency = table('IdempotencyKeys', 'key', { timeToLiveAttribute: 'expiresAt' });
    this.stats = table('LatencyStats', 'key', { timeToLiveAttribute: 'expiresAt', ...pointInTimeRecovery });
    this.workers = table('Workers', 'workerId', { timeToLiveAttribute: 'expiresAt' });
    this.coordination = table('Coordination', 'name', { timeToLiveAttribute: 'expiresAt' });
  }

  /**
   * Grants exactly the item actions a process needs, on the table ARN itself, and Query on the
   * one index it lists from: narrower than the table's grant helpers, which add `index/*`.
   */
  grantJobs(grantee: IGrantable, ...access: JobsAccess[]): void {
    const statements: PolicyStatement[] = [];
    if (access.includes('read'))
      statements.push(
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:ConditionCheckItem'],
          resources: [this.jobs.tableArn],
        }),
      );
    if (access.includes('write')) {
      statements.push(
        new PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          resources: [this.jobs.tableArn],
        }),
      );
    }
    if (access.includes('readMany')) {
      statements.push(new PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [this.jobs.tableArn] }));
    }
    if (access.includes('writeMany')) {
      statements.push(new PolicyStatement({ actions: ['dynamodb:BatchWriteItem'], resources: [this.jobs.tableArn] }));
    }
    if (access.includes('listByStatus')) {
      statements.push(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${this.jobs.tableArn}/index/${BY_STATUS_INDEX}`],
        }),
      );
    }
    for (const statement of statements) grantee.grantPrincipal.addToPrincipalPolicy(statement);
  }

  /** Workers add run times to the histograms and read their class's medians; the detector reads them. */
  grantStats(grantee: IGrantable, access: 'read' | 'add'): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: access === 'read' ? ['dynamodb:GetItem'] : ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.stats.tableArn],
      }),
    );
  }

  /** Workers report themselves and compare themselves with their class; `GET /stats` and the detector list them. */
  grantWorkers(grantee: IGrantable, ...access: ('list' | 'report')[]): void {
    const actions = [
      ...(access.includes('list') ? ['dynamodb:Scan'] : []),
      ...(access.includes('report') ? ['dynamodb:PutItem', 'dynamodb:DeleteItem'] : []),
    ];
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.workers.tableArn] }));
  }

  /**
   * Turns: taking one is a conditional put, giving it back a conditional update. Limits: workers
   * take, renew and give back slots and count starts with updates only; `GET /stats` reads slots.
   * Check records: reviews of message checks read and move them; `GET /stats` reads them.
   * Schedule fires: fires record their outcome (`scheduleFires`), the `/schedules` routes and
   * `GET /jobs?schedule=` read them (`readScheduleFires`), and the routes forget a deleted schedule's
   * (`forgetScheduleFires`).
   */
  grantCoordination(
    grantee: IGrantable,
    ...access: (
      | 'turns'
      | 'limits'
      | 'readLimits'
      | 'checkRecords'
      | 'readCheckRecords'
      | 'scheduleFires'
      | 'readScheduleFires'
      | 'forgetScheduleFires'
      | 'tenantSettings'
      | 'queuedCounts'
      | 'manageTenants'
      | 'windows'
      | 'readWindows'
    )[]
  ): void {
    const actions = new Set([
      ...(access.includes('turns') ? ['dynamodb:PutItem', 'dynamodb:UpdateItem'] : []),
      ...(access.includes('limits') ? ['dynamodb:UpdateItem'] : []),
      ...(access.includes('readLimits') ? ['dynamodb:GetItem'] : []),
      ...(access.includes('checkRecords') ? ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'] : []),
      ...(access.includes('readCheckRecords') ? ['dynamodb:BatchGetItem'] : []),
      ...(access.includes('scheduleFires') ? ['dynamodb:GetItem', 'dynamodb:PutItem'] : []),
      ...(access.includes('readScheduleFires') ? ['dynamodb:GetItem'] : []),
      ...(access.includes('forgetScheduleFires') ? ['dynamodb:DeleteItem'] : []),
      // Tenants' stored settings (read through a cache), their counts of waiting jobs, and the admin routes.
      ...(access.includes('tenantSettings') ? ['dynamodb:GetItem'] : []),
      ...(access.includes('queuedCounts') ? ['dynamodb:GetItem', 'dynamodb:UpdateItem'] : []),
      ...(access.includes('manageTenants')
        ? ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan']
        : []),
      // Tenants' windows and weights (src/jobs/fairness): taken and given back, read, listed per queue.
      ...(access.includes('windows') ? ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'] : []),
      ...(access.includes('readWindows') ? ['dynamodb:BatchGetItem'] : []),
    ]);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...actions], resources: [this.coordination.tableArn] }),
    );
  }

  /** Idempotency keys are looked up before a job's message is sent, and created with their job. */
  grantIdempotencyKeys(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
        resources: [this.idempotency.tableArn],
      }),
    );
  }
}
