import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PAYLOADS_PREFIX, RESULTS_PREFIX, UPLOADS_PREFIX } from '../src/jobs/payloads/index.ts';
import { nag } from './nag.ts';

/** What a process does with the payload bucket; each maps to explicit actions on one prefix. */
export type PayloadAccess = 'storePayloads' | 'readPayloads' | 'issueUploads' | 'storeResults' | 'readResults';

export interface PayloadBucketProps {
  removalPolicy: RemovalPolicy;
  /** Days a stored payload, upload or result is kept (the lifecycle rule's expiry). */
  retentionDays: number;
  /** Larger payloads and results are stored in the bucket. */
  inlineBytes: number;
  /** Larger payloads are refused (413). */
  maxBytes: number;
}

/**
 * The payload bucket (src/jobs/payloads): payloads and results too large for a job's item, and
 * callers' uploads. SSE-S3 encrypted (an upload's ETag stays the MD5 of its bytes, which the
 * idempotency fingerprint uses), public access blocked, TLS only, and every object expired by one
 * lifecycle rule per prefix after `retentionDays`, as a job's data should not outlive the job's use.
 */
export class PayloadBucket extends Construct {
  readonly bucket: Bucket;
  readonly retentionDays: number;
  readonly inlineBytes: number;
  readonly maxBytes: number;

  constructor(scope: Construct, id: string, props: PayloadBucketProps) {
    super(scope, id);
    this.retentionDays = props.retentionDays;
    this.inlineBytes = props.inlineBytes;
    this.maxBytes = props.maxBytes;
    const expiration = Duration.days(props.retentionDays);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [PAYLOADS_PREFIX, UPLOADS_PREFIX, RESULTS_PREFIX].map((prefix) => ({
        id: `expire-${prefix.slice(0, -1)}`,
        prefix,
        expiration,
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      })),
    });
    nag.payloadBucket(this.bucket);
    nag.payloadPrefixWildcards(Stack.of(this));
  }

  /** The `payloads` section of a process's environment. */
  settings(): { bucket: string; inlineBytes: number; maxBytes: number } {
    return { bucket: this.bucket.bucketName, inlineBytes: this.inlineBytes, maxBytes: this.maxBytes };
  }

  /**
   * Grants `grantee` what `access` needs: one action on one key prefix each (a presigned URL acts
   * with its signer's permissions; a HEAD is s3:GetObject).
   */
  grant(grantee: IGrantable, ...access: PayloadAccess[]): void {
    const allow = (action: string, prefix: string) =>
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: [action], resources: [this.bucket.arnForObjects(`${prefix}*`)] }),
      );
    for (const what of access) {
      if (what === 'storePayloads') allow('s3:PutObject', PAYLOADS_PREFIX);
      if (what === 'readPayloads') {
        allow('s3:GetObject', PAYLOADS_PREFIX);
        allow('s3:GetObject', UPLOADS_PREFIX);
      }
      if (what === 'issueUploads') allow('s3:PutObject', UPLOADS_PREFIX);
      if (what === 'storeResults') allow('s3:PutObject', RESULTS_PREFIX);
      if (what === 'readResults') allow('s3:GetObject', RESULTS_PREFIX);
    }
  }
}
