import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Endpoints come from the SDK's own resolution (AWS_ENDPOINT_URL for an emulator). Keep-alive stays
// on: the keep-alive stall measured with older MiniStack servers is gone with the pinned version
// (docs/emulator.md has the measurement).

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSqsClient(): SQSClient {
  return new SQSClient({});
}

/**
 * Path-style addressing on an emulator (`http://localhost:4572/<bucket>/<key>`): a bucket's
 * virtual host (`<bucket>.localhost`) does not resolve there. AWS itself gets virtual-hosted URLs.
 */
export function createS3Client(env: Readonly<Record<string, string | undefined>> = process.env): S3Client {
  return new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) });
}
