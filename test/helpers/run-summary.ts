import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** What the summary reads of a test module: a structural slice of vitest's TestModule. */
export type SummarizedModule = Pick<TestModule, 'relativeModuleId' | 'state'> & {
  project: Pick<TestModule['project'], 'name'>;
  diagnostic(): Pick<ReturnType<TestModule['diagnostic']>, 'duration'>;
  children: { allTests(state: 'failed'): Iterable<Pick<TestCase, 'fullName' | 'result' | 'diagnostic'>> };
};

const seconds = (ms = 0) => `${Math.round(ms / 1000)} s`;

/** An error's first line, short enough for one line of a log. */
const firstLine = (message = '') => {
  const line = message.split('\n')[0]!;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
};

/**
 * The run in a few lines: each failed test with its file, time and first error line, each file
 * that failed outside its tests, then the integration files slowest first (a stalled stack shows as
 * files running to their timeouts, one after another).
 */
export function summaryLines(modules: readonly SummarizedModule[]): string[] {
  const failed = modules.flatMap((module) => {
    const tests = [...module.children.allTests('failed')].map((test) => {
      const result = test.result();
      const error = result.state === 'failed' ? firstLine(result.errors?.[0]?.message) : '';
      return `failed: ${module.relativeModuleId} > ${test.fullName} (${seconds(test.diagnostic()?.duration)}): ${error}`;
    });
    if (tests.length === 0 && module.state() === 'failed')
      return [`failed: ${module.relativeModuleId} outside its tests (a hook or its import)`];
    return tests;
  });
  const integration = modules
    .filter((module) => module.project.name === 'integration')
    .sort((a, b) => b.diagnostic().duration - a.diagnostic().duration)
    .map(
      (module) =>
        `${module.relativeModuleId.replace(/^test\/integration\//, '')} ${seconds(module.diagnostic().duration)}`,
    );
  return [
    ...failed,
    ...(integration.length ? [`integration files, slowest first: ${integration.join(', ')}`] : []),
  ].map((line) => `[summary] ${line}`);
}

/**
 * Prints the summary at the end of the run, where a CI log's tail shows it: vitest's own report
 * lists every failure in full before its totals, and a tail holds only the last one.
 */
export default class RunSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines = summaryLines(modules);
    if (lines.length) process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}
