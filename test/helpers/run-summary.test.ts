import { describe, expect, it } from 'vitest';
import { type SummarizedModule, summaryLines } from './run-summary.ts';

type Failed = { fullName: string; message: string; duration: number };

const module = (
  project: string,
  id: string,
  duration: number,
  failed: Failed[] = [],
  state: 'passed' | 'failed' = failed.length ? 'failed' : 'passed',
): SummarizedModule => ({
  relativeModuleId: id,
  state: () => state,
  project: { name: project },
  diagnostic: () => ({ duration }),
  children: {
    allTests: () =>
      failed.map((test) => ({
        fullName: test.fullName,
        result: () => ({ state: 'failed', errors: [{ message: test.message }] }) as never,
        diagnostic: () => ({ duration: test.duration }) as never,
      })),
  },
});

describe('summaryLines', () => {
  it('lists each failed test with its file, time and first error line, then the integration files slowest first', () => {
    // Act
    const lines = summaryLines([
      module('unit', 'src/a.test.ts', 50),
      module('integration', 'test/integration/fast.test.ts', 2_000),
      module('integration', 'test/integration/slow.test.ts', 600_400, [
        { fullName: 'fan-out > runs', message: 'timed out after 600000 ms\n at waitFor', duration: 600_000 },
      ]),
    ]);
    // Assess
    expect(lines).toEqual([
      '[summary] failed: test/integration/slow.test.ts > fan-out > runs (600 s): timed out after 600000 ms',
      '[summary] integration files, slowest first: slow.test.ts 600 s, fast.test.ts 2 s',
    ]);
  });

  it('names a file that failed outside its tests, and says nothing of a run without integration files', () => {
    // Act
    const lines = summaryLines([module('unit', 'src/broken.test.ts', 0, [], 'failed')]);
    // Assess
    expect(lines).toEqual(['[summary] failed: src/broken.test.ts outside its tests (a hook or its import)']);
  });

  it('cuts a long error line', () => {
    // Act
    const [line] = summaryLines([
      module('unit', 'src/a.test.ts', 1, [{ fullName: 'x', message: 'e'.repeat(500), duration: 1 }]),
    ]);
    // Assess
    expect(line).toBe(`[summary] failed: src/a.test.ts > x (0 s): ${'e'.repeat(200)}…`);
  });
});
