import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { BY_STATUS_INDEX } from '../src/jobs/job-store.ts';


/** The jobs table (one item per job, its attempts inside) and the idempotency-key table. */
export class JobStoreTables extends Construct {
  readonly jobs: TableV2;
  readonly idempotency: TableV2;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy }) {
    super(scope, id);
    this.jobs = new TableV2(this, 'Jobs', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      globalSecondaryIndexes: [
        {
          indexName: BY_STATUS_INDEX,
          partitionKey: { name: 'statusKey', type: AttributeType.STRING },
          sortKey: { name: 'updatedAt', type: AttributeType.STRING },
        },
      ],
      removalPolicy: props.removalPolicy,
    });
    this.idempotency = new TableV2(this, 'IdempotencyKeys', {
      partitionKey: { name: 'key', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.removalPolicy,
    });
  }
}
