import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { cfnLintPath } from '../localstack/emulator.ts';

/** Runs the pinned cfn-lint over a synthesized template and returns its error lines (not warnings). */
export function cfnLintErrors(template: Template, name: string): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'tailguard-lint-')), `${name}.template.json`);
  writeFileSync(file, JSON.stringify(template.toJSON()));
  const lint = spawnSync(cfnLintPath(), ['--format', 'parseable', file], { encoding: 'utf8' });
  if (lint.error) throw lint.error;
  // Exit code bit 2 means errors; 4 is warnings and 8 informational.
  const errors = lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
  if (lint.status! & 2 && errors.length === 0) throw new Error(`cfn-lint failed: ${lint.stdout}${lint.stderr}`);
  return errors;
}
