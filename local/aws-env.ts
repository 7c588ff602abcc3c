/**
 * Environment for every process that talks to the local emulator: the endpoint, dummy
 * credentials (emulators accept any), a fixed region, and the CDK CLI's telemetry off so nothing
 * reaches real AWS.
 */
export function localAwsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    // The SDK warns once per process that Node 20 support ends in 2027: noise in local logs.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** SDK client settings for tools in this process that talk to the emulator. */
export function localClientConfig(endpoint: string) {
  const env = localAwsEnv(endpoint);
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  };
}
