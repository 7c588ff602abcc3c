import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.ts';

const root = packageRoot(import.meta.url);
const read = (file: string) => readFileSync(join(root, file), 'utf8');
/** The documents a reader follows links through (the README, CONTRIBUTING and docs/). */
const documents = [
  'README.md',
  'CONTRIBUTING.md',
  'BENCHMARKS.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown outside fenced code blocks: a `#` comment in a shell block is not a heading. */
const prose = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, '');

/** Heading anchors as GitHub makes them: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} +(.+?) *$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Relative link targets of a document, without web addresses. */
const linksOf = (markdown: string) =>
  [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target!).filter((t) => !/^[a-z]+:/.test(t));

describe('the documentation', () => {
  it('keeps the README short: a newcomer finishes it', () => {
    // Act
    const lines = read('README.md').split('\n').length;
    // Assess
    expect(lines).toBeLessThanOrEqual(250);
  });

  it("gives the repository's test command, the one CI runs", () => {
    // Assess
    expect(read('README.md')).toContain('npm test');
    expect(read('.ci/run')).toContain('npm test');
  });

  it.each(['docs/http-api.md', 'docs/deploy.md', 'docs/architecture.md', 'CONTRIBUTING.md'])(
    'links the manual %s from the README',
    (file) => {
      // Assess
      expect(linksOf(read('README.md'))).toContain(file);
    },
  );

  it.each(documents)('%s links only to files and headings that exist', (document) => {
    // Prepare
    const broken: string[] = [];
    // Act
    for (const link of linksOf(read(document))) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? document : relative(root, join(root, dirname(document), decodeURI(path)));
      if (!existsSync(join(root, target))) broken.push(`${link}: no ${target}`);
      else if (anchor && statSync(join(root, target)).isFile() && target.endsWith('.md')) {
        if (!anchorsOf(read(target)).has(anchor)) broken.push(`${link}: no heading #${anchor} in ${target}`);
      }
    }
    // Assess
    expect(broken).toEqual([]);
  });
});
