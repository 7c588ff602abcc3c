import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { testApp } from '../test/helpers/test-app.ts';

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing that is not acknowledged with a reason, in the stack', () => {
    // Prepare
    const { app } = testApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // Act & Assess: synthesis throws a report listing every unacknowledged finding.
    expect(() => app.synth()).not.toThrow();
  });

  it('also passes with API-key auth', () => {
    const { app } = testApp({ apiAuth: 'apiKey' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it("also passes with the HTTP API (api.kind 'http')", () => {
    const { app } = testApp({ apiKind: 'http' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
