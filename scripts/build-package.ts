/**
 * `npm pack`'s build (prepack): what the published `tailguard` package runs, so a team's project
 * needs neither Tailguard's sources nor esbuild.
 * - dist/functions/<name>/index.mjs: every Lambda handler, bundled whole (the construct ships them as assets);
 * - dist/{cdk,worker,client,cli}.mjs: the package's entry points, with dependencies left as imports;
 * - dist/dashboard/: the static page `tailguard dashboard` serves;
 * - dist/types/: declarations for the entry points.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../infra/tailguard-function.ts';
import { packageRoot } from '../src/package-root.ts';

const root = packageRoot(import.meta.url);
const dist = `${root}dist/`;
const step = (what: string) => console.error(`[build] ${what}`);

rmSync(dist, { recursive: true, force: true });

const handlers = readdirSync(`${root}functions`, { withFileTypes: true }).filter(
  (entry) => entry.isDirectory() && existsSync(`${root}functions/${entry.name}/handler.ts`),
);
step(`bundling ${handlers.length} Lambda handlers`);
await Promise.all(
  handlers.map(({ name }) =>
    build({
      entryPoints: [`${root}functions/${name}/handler.ts`],
      outfile: `${dist}functions/${name}/index.mjs`,
      bundle: true,
      platform: 'node',
      format: 'esm',
      // Stack traces map to source lines; the sources themselves stay out of the package.
      sourcemap: true,
      sourcesContent: false,
      target: LAMBDA_BUNDLING.target,
      minify: LAMBDA_BUNDLING.minify,
      keepNames: LAMBDA_BUNDLING.keepNames,
      mainFields: LAMBDA_BUNDLING.mainFields,
      banner: { js: LAMBDA_BUNDLING.banner },
      logLevel: 'warning',
    }),
  ),
);

step('bundling the entry points cdk, worker, client, cli');
await build({
  entryPoints: {
    cdk: `${root}infra/index.ts`,
    worker: `${root}workers/index.ts`,
    client: `${root}src/client/index.ts`,
    cli: `${root}cli/main.ts`,
  },
  outdir: dist,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // Shared modules land in one chunk, so a class (NonRetryableError) is one class across entries.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  keepNames: true,
  logLevel: 'warning',
});

step('copying the dashboard page');
// Without the unit tests that sit beside the page's modules.
cpSync(`${root}cli/dashboard/static`, `${dist}dashboard`, {
  recursive: true,
  filter: (path) => !path.endsWith('.test.ts'),
});

step('writing declarations');
execFileSync(`${root}node_modules/.bin/tsc`, ['-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
step(`done: ${dist}`);
