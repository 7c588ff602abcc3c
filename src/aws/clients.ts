import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
