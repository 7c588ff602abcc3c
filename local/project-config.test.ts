import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliCommand, readProjectConfig, workerCommands } from './project-config.ts';

function project(tailguard: unknown, name = 'team'): string {
  const dir = `${mkdtempSync(join(tmpdir(), 'tailguard-project-'))}/`;
  writeFileSync(`${dir}package.json`, JSON.stringify({ name, tailguard }));
  return dir;
}

describe('readProjectConfig', () => {
  it('reads each class worker command, splitting a string into argv, one process by default', () => {
    const config = readProjectConfig(
      project({ workers: { cpu: { command: 'tsx  worker.ts' }, gpu: { command: ['python3', 'x'], count: 2 } } }),
    );

    expect(config.workers).toEqual({
      cpu: { command: ['tsx', 'worker.ts'], count: 1 },
      gpu: { command: ['python3', 'x'], count: 2 },
    });
    expect(workerCommands(config)).toEqual({ cpu: ['tsx', 'worker.ts'], gpu: ['python3', 'x'] });
  });

  it('runs no workers for a project without the field', () => {
    expect(readProjectConfig(project(undefined)).workers).toEqual({});
  });

  it('names the field at fault', () => {
    expect(() => readProjectConfig(project({ workers: { tpu: { command: 'x' } } }))).toThrow(/tailguard\.workers/);
    expect(() => readProjectConfig(project({ workers: { cpu: { command: '' } } }))).toThrow(
      /tailguard\.workers\.cpu\.command/,
    );
  });
});

describe('cliCommand', () => {
  it('is npx in a team project, and the npm script in Tailguard itself (npx would ask the registry)', () => {
    expect(cliCommand(project(undefined))).toBe('npx tailguard');
    expect(cliCommand(project(undefined, 'tailguard'))).toBe('npm run tailguard --');
  });
});
