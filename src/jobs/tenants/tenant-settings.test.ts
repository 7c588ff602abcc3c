import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveTenantSettings, TenantSettingsSchema, TenantsConfigSchema } from './tenant-settings.ts';

const problems = (settings: unknown) =>
  TenantSettingsSchema.safeParse(settings).error?.issues.map((issue) =>
    issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.'),
  );

describe('TenantSettingsSchema', () => {
  it('takes each setting in its range, and none at all', () => {
    // Act / Assess
    expect(problems({})).toBeUndefined();
    expect(problems({ weight: 1000, concurrency: 1, perSecond: 0.1, maxQueued: 1 })).toBeUndefined();
  });

  it('names the field at fault: a weight out of range, a fractional concurrency or cap, a zero rate, an unknown field', () => {
    // Act / Assess
    expect(problems({ weight: 0 })).toEqual(['weight']);
    expect(problems({ weight: 1001 })).toEqual(['weight']);
    expect(problems({ concurrency: 1.5 })).toEqual(['concurrency']);
    expect(problems({ perSecond: 0 })).toEqual(['perSecond']);
    expect(problems({ maxQueued: 2.5 })).toEqual(['maxQueued']);
    expect(problems({ wieght: 3 })).toEqual(['wieght']);
  });

  it('never throws on any JSON, and what it accepts is within every bound', () => {
    // Prepare: bodies made mostly of the real fields, with any values.
    const field = fc.constantFrom('weight', 'concurrency', 'perSecond', 'maxQueued', 'other');
    fc.assert(
      fc.property(
        fc.dictionary(field, fc.oneof(fc.jsonValue(), fc.double(), fc.integer({ min: -5, max: 2000 })), { maxKeys: 4 }),
        (body) => {
          // Act
          const parsed = TenantSettingsSchema.safeParse(body);

          // Assess
          if (!parsed.success) return;
          const { weight = 1, concurrency = 1, perSecond = 1, maxQueued = 1 } = parsed.data;
          expect(Number.isInteger(weight) && weight >= 1 && weight <= 1000).toBe(true);
          expect(Number.isInteger(concurrency) && concurrency >= 1).toBe(true);
          expect(perSecond > 0).toBe(true);
          expect(Number.isInteger(maxQueued) && maxQueued >= 1).toBe(true);
          expect(Object.keys(body)).not.toContain('other');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('resolveTenantSettings', () => {
  const config = TenantsConfigSchema.parse({
    defaults: { maxQueued: 1000, concurrency: 10 },
    overrides: { acme: { weight: 3, concurrency: 20 } },
  });

  it('lays the defaults, the props override and the stored one over each other, field by field', () => {
    // Act / Assess
    expect(resolveTenantSettings({}, 'anyone', undefined)).toEqual({ weight: 1 });
    expect(resolveTenantSettings(config, 'other', undefined)).toEqual({ weight: 1, maxQueued: 1000, concurrency: 10 });
    expect(resolveTenantSettings(config, 'acme', undefined)).toEqual({ weight: 3, maxQueued: 1000, concurrency: 20 });
    expect(resolveTenantSettings(config, 'acme', { concurrency: 2, perSecond: 5 })).toEqual({
      weight: 3,
      maxQueued: 1000,
      concurrency: 2,
      perSecond: 5,
    });
  });

  it('refuses props with a bad tenant id or an unknown field', () => {
    // Act / Assess
    expect(TenantsConfigSchema.safeParse({ overrides: { 'a b': {} } }).success).toBe(false);
    expect(TenantsConfigSchema.safeParse({ default: {} }).success).toBe(false);
  });
});
