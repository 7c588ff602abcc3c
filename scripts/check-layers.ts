/**
 * The import graph's direction (`npm run cycles`, after the cycle check): each folder imports only
 * the folders below it, so the published entry points never pull in the demo, the benchmarks or
 * the tests, and the domain knows nothing of the processes that run it. Test files may import
 * anything. Prints every import that points the wrong way and fails if there is one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { packageRoot } from '../src/package-root.ts';

/**
 * What each folder may import besides itself (a rule covers the folders below it, the longest
 * rule wins); a folder without a rule (bench, scripts, test) may import anything.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  // The domain and its AWS adapters; the adapters read the domain's defaults and types.
  'src/jobs': ['src/jobs', 'src/aws'],
  'src/aws': ['src/jobs'],
  // The wire contract: views, errors, request limits and the OpenAPI document, built on the domain's schemas.
  'src/contract': ['src/jobs', 'package.json'],
  // The client speaks the contract only; the domain's model gives it the job's states and classes.
  'src/client': ['src/contract', 'src/jobs/model'],
  workers: ['src'],
  functions: ['src'],
  localstack: ['src'],
  // The emulator's cfn-lint checks synthesized templates.
  infra: ['src', 'localstack'],
  local: ['src', 'localstack'],
  cli: ['src', 'local'],
  demo: ['src', 'workers', 'infra'],
};

const SKIPPED = new Set(['node_modules', 'dist', 'cdk.out', '.tailguard', '.venv', '.git', 'examples']);
const IMPORT = /\b(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']*)'/g;

/** A file's folder, two levels deep below src/ (`src/jobs/intake`), else its top-level folder. */
function areaOf(path: string): string {
  const parts = path.split('/').slice(0, -1);
  return parts.slice(0, parts[0] === 'src' ? 3 : 1).join('/') || path;
}

const covers = (rule: string, area: string) => area === rule || area.startsWith(`${rule}/`);

function allows(from: string, to: string): boolean {
  const rule = Object.keys(MAY_IMPORT)
    .filter((folder) => covers(folder, from))
    .sort((a, b) => b.length - a.length)[0];
  if (rule === undefined || covers(rule, to)) return true;
  return (MAY_IMPORT[rule] ?? []).some((allowed) => covers(allowed, to));
}

const root = packageRoot(import.meta.url);
const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
  (path) => path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.split('/').some((part) => SKIPPED.has(part)),
);
const wrong = files.flatMap((path) =>
  [...readFileSync(join(root, path), 'utf8').matchAll(IMPORT)]
    .map((match) => normalize(join(dirname(path), match[1] ?? '')))
    .filter((target) => !allows(areaOf(path), areaOf(target)))
    .map((target) => `${path} → ${target}`),
);
for (const line of wrong) console.error(`import against the layers: ${line}`);
if (wrong.length > 0) process.exit(1);
console.error(`layers: ${files.length} files import only downwards`);
