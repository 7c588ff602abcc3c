import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The root of the `tailguard` package the calling module belongs to: this repository when run from
 * source, `node_modules/tailguard` when installed. Found by walking up from the module, because
 * the same code sits at different depths in the sources (`local/deploy.ts`) and in the published
 * bundles (`dist/cli.mjs`), and files shipped beside the code (the emulator's requirements, the
 * Python SDK, pre-bundled Lambdas) are addressed from the root.
 */
export function packageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tailguard'
    ) {
      return `${dir}/`;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no tailguard package.json above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}
