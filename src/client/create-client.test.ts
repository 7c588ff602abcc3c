import { afterEach, describe, expect, it } from 'vitest';
import { type CreateClientOptions, createClient, regionOf } from './create-client.ts';
import { type FakeApi, jobView, startFakeApi } from './testing/fake-api.ts';

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** The headers of one request a client made with these options sent. */
async function headersSent(options: Omit<CreateClientOptions, 'apiUrl'>) {
  api = await startFakeApi(() => ({ status: 200, body: jobView() }));
  await createClient({ ...options, apiUrl: api.url }).get(jobView().id);
  return api.requests[0]!.headers;
}

describe('createClient', () => {
  it("sends no authorization with auth 'none'", async () => {
    const headers = await headersSent({ auth: 'none' });

    expect(headers.authorization).toBeUndefined();
    expect(headers['x-api-key']).toBeUndefined();
  });

  it('sends the API key as x-api-key', async () => {
    const headers = await headersSent({ auth: { apiKey: 'k-123' } });

    expect(headers['x-api-key']).toBe('k-123');
    expect(headers.authorization).toBeUndefined();
  });

  it("signs with SigV4 for execute-api with auth 'iam' (the default)", async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const headers = await headersSent({ region: 'eu-west-1', credentials });

    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=/,
    );
    expect(headers['x-amz-date']).toBeDefined();
  });
});

describe('regionOf', () => {
  it('reads the region of an execute-api URL', () => {
    expect(regionOf('https://abc123.execute-api.ap-southeast-2.amazonaws.com/v1/')).toBe('ap-southeast-2');
  });

  it("reads it from an HTTP API's URL, which has no stage path", () => {
    expect(regionOf('https://abc123.execute-api.eu-central-1.amazonaws.com/')).toBe('eu-central-1');
    expect(regionOf('https://abc123.execute-api.eu-central-1.amazonaws.com')).toBe('eu-central-1');
  });
});

describe('a client of an API without a stage path (HTTP API, $default stage)', () => {
  it.each([
    ['with', '/'],
    ['without', ''],
  ])('sends routes from the root, %s a trailing slash, signed', async (_, slash) => {
    // Prepare
    api = await startFakeApi(() => ({ status: 200, body: jobView() }));
    const root = new URL(api.url).origin;
    const client = createClient({
      apiUrl: `${root}${slash}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    // Act
    await client.get(jobView().id);
    await client.listJobs({ status: 'RUNNING' });
    // Assess
    expect(api.requests.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query}` : ''}`)).toEqual([
      `GET /jobs/${jobView().id}`,
      'GET /jobs?status=RUNNING',
    ]);
    expect(api.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });
});
