import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CAPACITIES, type Capacity } from '../src/jobs/model/index.ts';

/** A class's local workers: the command its container runs, and how many processes to start. */
const WorkerCommandSchema = z.strictObject({
  /** argv, or one string split on spaces (no shell: signals reach the worker itself). */
  command: z.union([
    z.array(z.string().min(1)).min(1),
    z
      .string()
      .min(1)
      .transform((text) => text.trim().split(/\s+/)),
  ]),
  /** @default 1 */
  count: z.int().min(0).max(32).default(1),
});

/** The `tailguard` field of a project's package.json: what `tailguard dev` runs besides the stack. */
export const ProjectConfigSchema = z.strictObject({
  workers: z.partialRecord(z.enum(CAPACITIES), WorkerCommandSchema).default({}),
});
export type ProjectConfig = z.output<typeof ProjectConfigSchema>;
export type WorkerCommand = z.output<typeof WorkerCommandSchema>;

type Manifest = { name?: unknown; tailguard?: unknown };
const readManifest = (projectDir: string) => JSON.parse(readFileSync(`${projectDir}package.json`, 'utf8')) as Manifest;

/** Reads `<projectDir>/package.json#tailguard`, naming the field at fault when it is malformed. */
export function readProjectConfig(projectDir: string): ProjectConfig {
  const manifest = readManifest(projectDir);
  const parsed = ProjectConfigSchema.safeParse(manifest.tailguard ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `tailguard.${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`${projectDir}package.json: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export function workerCommands(config: ProjectConfig): Partial<Record<Capacity, readonly string[]>> {
  return Object.fromEntries(Object.entries(config.workers).map(([capacity, worker]) => [capacity, worker.command]));
}

/**
 * How a person runs the CLI in this project: `npx tailguard` where the package is a dependency, and
 * `npm run tailguard --` in Tailguard's own repository, where npx would look for the package on the registry.
 */
export function cliCommand(projectDir: string): string {
  return readManifest(projectDir).name === 'tailguard' ? 'npm run tailguard --' : 'npx tailguard';
}
