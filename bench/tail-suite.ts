#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
/**
 * `npm run bench:tail:suite`: tail latency of many workloads under several policies, on a
 * simulated fleet and a virtual clock, with Tailguard's own policy code (see bench/sim). Writes
 * bench/results/tail-suite.json, a plot, and the `tail-suite` section of BENCHMARKS.md.
 */
import { Command, Option } from 'commander';
import type { TopLevelSpec } from 'vega-lite';
import { renderPng } from './lib/chart.ts';
import { progressBar } from './lib/progress.ts';
import { markdownTable, writeBenchmarkSection } from './lib/report.ts';
import { combine, type PolicyResult, policyResult, type RunMetrics } from './sim/metrics.ts';
import { POLICIES } from './sim/policies.ts';
import { mulberry32 } from './sim/random.ts';
import { DEFAULT_TIMING, Simulation } from './sim/simulation.ts';
import { allWorkloads, capacityPerSecond, EMULATOR_TWIN } from './sim/workloads.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

const list = (value: string) => value.split(',').map((item) => item.trim());
const opts = new Command()
  .name('bench:tail:suite')
  .description('Simulated tail latency: workloads × loads × policies, with the real policy code on a virtual clock')
  .addOption(new Option('--jobs <n>', 'measured jobs per run').argParser(Number).default(20_000))
  .addOption(new Option('--warm-up <n>', 'unmeasured jobs first in each run').argParser(Number).default(500))
  .addOption(
    new Option('--seeds <n>', 'runs per workload, load and policy (seeds 1..n, pooled)').argParser(Number).default(3),
  )
  .addOption(
    new Option('--loads <list>', 'arrival rates as shares of capacity').argParser(list).default(['0.5', '0.7', '0.85']),
  )
  .addOption(new Option('--workloads <list>', 'only workloads whose name contains one of these').argParser(list))
  .addOption(new Option('--policies <list>', 'only these policies (oracle is always run)').argParser(list))
  .addOption(
    new Option('--budget <fraction>', 'tailguard’s speculation budget (default: the detector’s)').argParser(Number),
  )
  .addOption(new Option('--quick', '2,000 jobs, 1 seed, load 0.7 (a smoke run; does not write BENCHMARKS.md)'))
  .addOption(new Option('--no-report', 'write the JSON only, not BENCHMARKS.md and the plot'))
  .addOption(
    new Option(
      '--out <file>',
      'where the JSON goes (default: bench/results/tail-suite.json; with --quick, the temp dir)',
    ),
  )
  .parse()
  .opts<{
    jobs: number;
    warmUp: number;
    seeds: number;
    loads: string[];
    workloads?: string[];
    policies?: string[];
    budget?: number;
    quick?: boolean;
    report: boolean;
    out?: string;
  }>();

const jobs = opts.quick ? 2000 : opts.jobs;
const seeds = opts.quick ? 1 : opts.seeds;
const loads = (opts.quick ? ['0.7'] : opts.loads).map(Number);
const workloads = allWorkloads().filter((w) => !opts.workloads || opts.workloads.some((part) => w.name.includes(part)));
const policies = POLICIES.filter((p) => !opts.policies || p.name === 'oracle' || opts.policies.includes(p.name)).map(
  (p) =>
    p.detector && opts.budget !== undefined ? { ...p, detector: { ...p.detector, budgetFraction: opts.budget } } : p,
);
const writeReport = opts.report && !opts.quick;

interface WorkloadResult {
  name: string;
  workload: string;
  load: number;
  ratePerSecond: number;
  description: string;
  policies: Record<string, PolicyResult & { p99VsOracle: number }>;
  /** Tailguard's p99 ÷ the oracle's. */
  tailguardVsOracle?: number;
  /** Hedging policies with a lower p99 than Tailguard's (beyond both 95 % intervals) at no more extra work. */
  beatenBy: string[];
}

const HEDGES = policies.filter((p) => p.hedge).map((p) => p.name);
const bar = progressBar('runs |{bar}| {value}/{total} {workload} {policy} · {duration}s, eta {eta}s');
bar.start(workloads.length * loads.length * policies.length * seeds, 0, { workload: '', policy: '' });
const started = performance.now();
const results: WorkloadResult[] = [];
for (const workload of workloads) {
  const capacity = capacityPerSecond(workload, mulberry32(12_345));
  for (const load of loads) {
    const ratePerSecond = Math.round(load * capacity * 100) / 100;
    const name = `${workload.name}@${load}`;
    const byPolicy: Record<string, PolicyResult> = {};
    for (const policy of policies) {
      bar.update({ workload: name, policy: policy.name });
      const runs: RunMetrics[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const simulation = new Simulation({ workload, policy, ratePerSecond, jobs, warmUpJobs: opts.warmUp, seed });
        runs.push(await simulation.run());
        bar.increment();
        // A run never waits on a timer: let the progress bar's own timer draw.
        await new Promise((resolve) => setImmediate(resolve));
      }
      byPolicy[policy.name] = policyResult(combine(runs));
    }
    const oracleP99 = byPolicy.oracle!.p99;
    const tailguard = byPolicy.tailguard;
    results.push({
      name,
      workload: workload.name,
      load,
      ratePerSecond,
      description: workload.description,
      policies: Object.fromEntries(
        Object.entries(byPolicy).map(([policy, r]) => [policy, { ...r, p99VsOracle: ratio(r.p99, oracleP99) }]),
      ),
      ...(tailguard ? { tailguardVsOracle: ratio(tailguard.p99, oracleP99) } : {}),
      beatenBy: tailguard
        ? HEDGES.filter(
            (h) =>
              byPolicy[h]!.p99Interval[1] < tailguard.p99Interval[0] &&
              byPolicy[h]!.extraWorkPct <= tailguard.extraWorkPct,
          )
        : [],
    });
  }
}
bar.stop();
const seconds = Math.round((performance.now() - started) / 1000);

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

const twinLoad = loads.includes(0.5) ? 0.5 : loads[0];
const output = {
  jobsPerRun: jobs,
  warmUpJobsPerRun: opts.warmUp,
  seeds,
  loads,
  emulatorTwin: `${EMULATOR_TWIN}@${twinLoad}`,
  timing: DEFAULT_TIMING,
  runtimeSeconds: seconds,
  policies: Object.fromEntries(policies.map((p) => [p.name, p.description])),
  workloads: results,
};
const outFile = opts.out ?? (opts.quick ? `${tmpdir()}/tail-suite.quick.json` : `${resultsDir}tail-suite.json`);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(outFile, `${JSON.stringify(output, null, 2)}\n`);
console.log(`results: ${outFile}`);
console.log(
  `${results.length} workloads × ${policies.length} policies × ${seeds} seeds × ${jobs} jobs in ${seconds} s`,
);
for (const r of results)
  console.log(
    `${r.name.padEnd(30)} tailguard ÷ oracle p99 ${r.tailguardVsOracle ?? '-'}${r.beatenBy.length ? `  beaten by ${r.beatenBy.join(', ')}` : ''}`,
  );

if (writeReport) {
  const plotFile = 'tail-suite-p99-vs-extra-work.png';
  await renderPng(plotSpec(results), `${resultsDir}${plotFile}`);
  writeBenchmarkSection('tail-suite', report(plotFile));
}

function plotSpec(rows: WorkloadResult[]): TopLevelSpec {
  const points = rows.flatMap((r) =>
    Object.entries(r.policies)
      .filter(([policy]) => policy !== 'oracle')
      .map(([policy, p]) => ({ workload: r.name, policy, p99VsOracle: p.p99VsOracle, extraWorkPct: p.extraWorkPct })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'p99 against the oracle’s vs extra work (one point per workload and load)',
    width: 640,
    height: 400,
    data: { values: points },
    mark: { type: 'point', filled: true, opacity: 0.7 },
    encoding: {
      x: { field: 'extraWorkPct', type: 'quantitative', title: 'extra work (% of winners’ slot-seconds)' },
      y: { field: 'p99VsOracle', type: 'quantitative', title: 'p99 ÷ oracle p99 (log)', scale: { type: 'log' } },
      color: { field: 'policy', type: 'nominal' },
      shape: { field: 'policy', type: 'nominal' },
      tooltip: [{ field: 'workload' }, { field: 'policy' }],
    },
  };
}

function report(plotFile: string): string {
  const names = policies.map((p) => p.name);
  const cell = (r: WorkloadResult, policy: string) => {
    const p = r.policies[policy];
    return p ? `${fmt(p.p99)} (${p.extraWorkPct} %)` : '-';
  };
  const rows = results.map((r) => [
    `${r.name}`,
    ...names.map((n) => cell(r, n)),
    r.tailguardVsOracle === undefined ? '-' : `${r.tailguardVsOracle}×${r.tailguardVsOracle > 1.5 ? ' ⚠' : ''}`,
    r.beatenBy.join(', ') || '—',
  ]);
  const tailguard = results.filter((r) => r.tailguardVsOracle !== undefined);
  const over = tailguard.filter((r) => r.tailguardVsOracle! > 1.5);
  const beaten = tailguard.filter((r) => r.beatenBy.length > 0);
  // Fleets where no worker is slow: probation there is a healthy worker taken out of service.
  const healthyFleets = tailguard.filter((r) => /^(stall|hang|pareto|bimodal|short)-/.test(r.workload));
  const wronglyOnProbation = Math.max(0, ...healthyFleets.map((r) => r.policies.tailguard!.probationWorkers));
  return `## Tail-latency simulator suite (\`npm run bench:tail:suite\`)

${results.length} workload × load pairs, ${policies.length} policies, ${seeds} seeds × ${jobs.toLocaleString('en')} measured jobs per run (after ${opts.warmUp} warm-up jobs), ${seconds} s on ${cpus()[0]?.model ?? 'unknown CPU'} (one core). Simulated fleet, virtual clock; the straggler detector's pass, the speed meter and probation, the backup claim rule and the latency percentiles are Tailguard's own code (bench/sim). Detector passes and heartbeats every ${DEFAULT_TIMING.detectorIntervalMs} ms (as bench:tail), worker reports every ${DEFAULT_TIMING.reportMs / 1000} s, job timeout ${DEFAULT_TIMING.timeoutMs / 1000} s. A backup runs the same job size as its original. Open (Poisson) arrivals at ${loads.join(', ')} of capacity. \`${output.emulatorTwin}\` is bench:tail's own workload.

Each cell: p99 in ms (extra work: slot-seconds of attempts that lost ÷ slot-seconds of winners). p50 and p99.9 per policy are in \`bench/results/tail-suite.json\`.

${markdownTable(['workload@load', ...names, 'tailguard p99 ÷ oracle', 'hedges with lower p99 at ≤ extra work'], rows)}

Tailguard's p99 is within 1.5× the oracle's on ${tailguard.length - over.length} of ${tailguard.length}${over.length ? ` (above on ${over.map((r) => r.name).join(', ')})` : ''}; a hedging policy has a lower p99 at no more extra work on ${beaten.length}${beaten.length ? ` (${beaten.map((r) => `${r.name}: ${r.beatenBy.join(', ')}`).join('; ')})` : ''} ("lower": below Tailguard's p99 beyond both p99s' 95 % confidence intervals). On fleets with no slow worker (stall, hang, Pareto, bimodal, short jobs) Tailguard put at most ${wronglyOnProbation} healthy worker${wronglyOnProbation === 1 ? '' : 's'} on probation in a run.

![p99 ÷ oracle p99 against extra work](bench/results/${plotFile})`;
}

function fmt(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)}`;
}
