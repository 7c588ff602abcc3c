import { describe, expect, it } from 'vitest';
import { localApiUrl } from './deploy.ts';

describe('localApiUrl', () => {
  it("is the REST API's stage URL on the emulator", () => {
    expect(localApiUrl('http://localhost:4566/', { apiId: 'abc123', apiStage: 'v1' })).toBe(
      'http://localhost:4566/_aws/execute-api/abc123/v1/',
    );
  });

  it("has no stage path for an HTTP API's $default stage, which serves from the root", () => {
    expect(localApiUrl('http://localhost:4566', { apiId: 'abc123', apiStage: '$default' })).toBe(
      'http://localhost:4566/_aws/execute-api/abc123/',
    );
  });
});
