import { describe, expect, it } from 'vitest';
import { criticalPath, runTime } from './critical-path.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** A step that ran from `from` to `to` seconds (`to` null: running), or never ran (`from` null). */
function step(name: string, from: number | null, to: number | null, dependsOn: string[] = [], spawnedBy?: string) {
  return {
    name,
    dependsOn,
    spawnedBy: spawnedBy ?? null,
    startedAt: from === null ? null : at(from),
    finishedAt: to === null ? null : at(to),
  };
}

describe('runTime', () => {
  it("is a step's start to its end, to now while it runs, and 0 before it ran", () => {
    // Act
    const times = [step('done', 1, 4), step('running', 2, null), step('pending', null, null)].map((s) =>
      runTime(s, T0 + 10_000),
    );
    // Assess
    expect(times).toEqual([3000, 8000, 0]);
  });
});

describe('criticalPath', () => {
  it('is the whole of a chain, its length the sum of its run times', () => {
    // Act
    const path = criticalPath(
      [step('fetch', 0, 2), step('transform', 2, 7, ['fetch']), step('load', 7, 8, ['transform'])],
      T0,
    );
    // Assess
    expect(path).toEqual({ steps: ['fetch', 'transform', 'load'], ms: 8000 });
  });

  it('goes through the slower branch of a diamond', () => {
    // Prepare: b runs 1 s, c 4 s, both after a and before d.
    const steps = [step('a', 0, 1), step('b', 1, 2, ['a']), step('c', 1, 5, ['a']), step('d', 5, 6, ['b', 'c'])];
    // Act
    const path = criticalPath(steps, T0);
    // Assess
    expect(path).toEqual({ steps: ['a', 'c', 'd'], ms: 6000 });
  });

  it('goes from a spawning step through its slowest child to the join', () => {
    // Prepare: the join is listed among the declared steps, the children after their spawning step.
    const steps = [
      step('split', 0, 1),
      step('split.0', 1, 2, [], 'split'),
      step('split.1', 1, 9, [], 'split'),
      step('split.2', 1, 3, [], 'split'),
      step('split.join', 9, 10, [], 'split'),
    ];
    // Act
    const path = criticalPath(steps, T0);
    // Assess
    expect(path).toEqual({ steps: ['split', 'split.1', 'split.join'], ms: 10_000 });
  });

  it("goes from a spawn's join to a dependent of the spawning step, which waited for the join", () => {
    // Prepare: report depends on split; it started when split.join ended, not when split did.
    const steps = [
      step('split', 0, 1),
      step('report', 10, 11, ['split']),
      step('split.0', 1, 9, [], 'split'),
      step('split.join', 9, 10, [], 'split'),
    ];
    // Act
    const path = criticalPath(steps, T0);
    // Assess
    expect(path).toEqual({ steps: ['split', 'split.0', 'split.join', 'report'], ms: 11_000 });
  });

  it('counts a running step up to now, and leaves out the steps that have not run', () => {
    // Prepare: b has run 6 s so far; c and d wait for it.
    const steps = [
      step('a', 0, 1),
      step('b', 1, null, ['a']),
      step('c', null, null, ['b']),
      step('d', null, null, ['c']),
    ];
    // Act
    const path = criticalPath(steps, T0 + 7000);
    // Assess
    expect(path).toEqual({ steps: ['a', 'b'], ms: 7000 });
  });

  it('passes through a skipped parent to its ancestors, without listing it', () => {
    // Prepare: x was skipped (never ran); c ran anyway (onParentFailure 'continue').
    const steps = [step('a', 0, 3), step('x', null, null, ['a']), step('c', 3, 4, ['x'])];
    // Act
    const path = criticalPath(steps, T0);
    // Assess
    expect(path).toEqual({ steps: ['a', 'c'], ms: 4000 });
  });

  it('is empty while nothing has run', () => {
    // Act
    const path = criticalPath([step('a', null, null), step('b', null, null, ['a'])], T0);
    // Assess
    expect(path).toEqual({ steps: [], ms: 0 });
  });
});
