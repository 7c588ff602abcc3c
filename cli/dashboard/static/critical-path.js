// @ts-check
/**
 * A workflow's critical path: the chain of steps, each a parent of the next, whose run times add
 * up to the most — the steps its end waited on, where shortening one would finish it sooner.
 * Pure (no page, no clock of its own), so the unit tests beside it check what the dashboard's
 * workflow view highlights.
 */

/**
 * A step as `GET /workflows/{id}` shows it: the fields read here.
 * @typedef {object} StepTimes
 * @property {string} name
 * @property {string[]} dependsOn
 * @property {string | null} spawnedBy
 * @property {string | null} startedAt
 * @property {string | null} finishedAt
 */

/**
 * A step's run time in ms: its job's first start to its end (retries and their backoff included),
 * to `now` while it runs, 0 before it ran.
 * @param {StepTimes} step
 * @param {number} now epoch ms
 */
export function runTime(step, now) {
  if (!step.startedAt) return 0;
  const end = step.finishedAt ? Date.parse(step.finishedAt) : now;
  return Math.max(0, end - Date.parse(step.startedAt));
}

/**
 * A spawn's join is named `<spawning step>.join` (docs/workflows.md, "Dynamic fan-out").
 * @param {Pick<StepTimes, 'name' | 'spawnedBy'>} step
 */
export const isJoin = (step) => step.spawnedBy !== null && step.name === `${step.spawnedBy}.join`;

/**
 * Each step's parents, by name: its `dependsOn`, where a parent that spawned stands for its
 * (last) join, which its dependents wait for; a spawned child's spawning step; a join's children
 * (and its spawning step, its only parent until the children are written).
 * @param {StepTimes[]} steps
 * @returns {Map<string, string[]>}
 */
function parentsOf(steps) {
  /** @type {Map<string, string[]>} */
  const children = new Map();
  for (const step of steps) {
    if (step.spawnedBy === null || isJoin(step)) continue;
    children.set(step.spawnedBy, [...(children.get(step.spawnedBy) ?? []), step.name]);
  }
  const names = new Set(steps.map((step) => step.name));
  /** @type {(name: string) => string} */
  const lastJoin = (name) => (names.has(`${name}.join`) ? lastJoin(`${name}.join`) : name);
  return new Map(
    steps.map((step) => {
      const declared = step.dependsOn.map(lastJoin);
      if (step.spawnedBy === null) return [step.name, declared];
      const spawned = isJoin(step) ? (children.get(step.spawnedBy) ?? []) : [];
      return [step.name, [...declared, step.spawnedBy, ...spawned]];
    }),
  );
}

/**
 * The longest chain of run times through the workflow's edges, in order from its first step,
 * and its length in ms. Steps that never ran (pending, skipped, cancelled before a job) add
 * nothing and are left out of the chain. Cycles cannot occur: `POST /workflows` refuses them.
 * @param {StepTimes[]} steps
 * @param {number} now epoch ms: a running step's run time so far
 * @returns {{ steps: string[], ms: number }}
 */
export function criticalPath(steps, now) {
  const parents = parentsOf(steps);
  /** @type {Map<string, string[]>} */
  const children = new Map(steps.map((step) => [step.name, []]));
  for (const [name, names] of parents) for (const parent of names) children.get(parent)?.push(name);
  /** The longest chain ending at each step: its ms and the parent it comes through. */
  /** @type {Map<string, { ms: number, via: string | null }>} */
  const longest = new Map();
  const byName = new Map(steps.map((step) => [step.name, step]));
  const waiting = new Map([...parents].map(([name, names]) => [name, names.length]));
  // Kahn's order: a step is measured once all its parents are.
  const order = steps.filter((step) => waiting.get(step.name) === 0).map((step) => step.name);
  for (let i = 0; i < order.length; i++) {
    const name = /** @type {string} */ (order[i]);
    let via = null;
    let before = 0;
    for (const parent of parents.get(name) ?? []) {
      const ms = longest.get(parent)?.ms ?? 0;
      if (via === null || ms > before) [via, before] = [parent, ms];
    }
    longest.set(name, { ms: before + runTime(/** @type {StepTimes} */ (byName.get(name)), now), via });
    for (const child of children.get(name) ?? []) {
      const left = (waiting.get(child) ?? 0) - 1;
      waiting.set(child, left);
      if (left === 0) order.push(child);
    }
  }
  // Of equal chains, the first measured.
  let end = null;
  for (const name of order) if (end === null || (longest.get(name)?.ms ?? 0) > (longest.get(end)?.ms ?? 0)) end = name;
  const chain = [];
  for (let name = end; name !== null; name = longest.get(name)?.via ?? null) {
    if (byName.get(name)?.startedAt) chain.unshift(name);
  }
  return { steps: chain, ms: end === null ? 0 : (longest.get(end)?.ms ?? 0) };
}
