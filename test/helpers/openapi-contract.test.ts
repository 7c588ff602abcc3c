import { describe, expect, it } from 'vitest';
import { ContractViolation, OpenApiContract } from './openapi-contract.ts';

const contract = new OpenApiContract();
const error = { error: { code: 'JOB_NOT_FOUND', message: 'no such job', details: [] } };
const health = { status: 'ok', checks: { jobsTable: 'ok', queues: 'ok' } };

describe('OpenApiContract', () => {
  it.each([
    { method: 'GET', path: '/health', status: 200, body: health },
    { method: 'GET', path: '/jobs/40bcbc1a-8f2e-4c36-9d57-2a1f0e6b7c11', status: 404, body: error },
    { method: 'POST', path: '/jobs/batch', status: 400, body: error },
    { method: 'TRACE', path: '/health', status: 405, body: error },
    { method: 'POST', path: '/jobs', status: 502, body: { message: 'Internal server error' } },
  ])('passes $method $path → $status as the document describes it', (exchange) => {
    // Act
    const violation = contract.violation(exchange);
    // Assess
    expect(violation).toBeUndefined();
  });

  it.each([
    { body: { ...health, uptime: 5 }, status: 200, method: 'GET', path: '/health', names: 'uptime' },
    { body: { status: 'ok' }, status: 200, method: 'GET', path: '/health', names: 'checks' },
    { body: undefined, status: 400, method: 'POST', path: '/jobs/batch', names: 'no body' },
    { body: error, status: 418, method: 'GET', path: '/health', names: 'does not describe' },
    { body: { message: 'Missing Authentication Token' }, status: 403, method: 'TRACE', path: '/health', names: '405' },
    { body: error, status: 404, method: 'GET', path: '/nowhere', names: 'no path' },
  ])('refuses $method $path → $status, naming "$names"', ({ names, ...exchange }) => {
    // Act
    const violation = contract.violation(exchange);
    // Assess
    expect(violation).toContain(names);
  });

  it('fails the request whose answer the document does not describe, and passes the others through', async () => {
    // Prepare: a server answering /health with a field too many.
    const server: typeof fetch = async (input) =>
      Response.json(String(input).endsWith('/health') ? { ...health, extra: 1 } : health);
    const checked = contract.checkedFetch('https://api.example/v1/', server);
    // Act
    const outside = await checked('https://elsewhere.example/health');
    const refused = checked('https://api.example/v1/health');
    // Assess
    expect(outside.status).toBe(200);
    await expect(refused).rejects.toThrow(ContractViolation);
    await expect(refused).rejects.toThrow(/GET \/health → 200: \(body\) must NOT have additional properties \(extra\)/);
  });
});
