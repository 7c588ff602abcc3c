import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const benchmarksFile = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

const HEADER = `# Benchmarks

Each section is written by the command named in it; re-run that command to refresh it. Figures
come from one run on the machine described in the section: compare ratios within one run, not
absolute numbers across runs or machines.
`;

/** Replaces (or appends) the section between `<!-- bench:NAME -->` markers in BENCHMARKS.md. */
export function writeBenchmarkSection(name: string, markdown: string): void {
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const current = existsSync(benchmarksFile) ? readFileSync(benchmarksFile, 'utf8') : HEADER;
  const section = `${begin}\n${markdown.trim()}\n${end}`;
  const pattern = new RegExp(`${begin}[\\s\\S]*?${end}`);
  const next = pattern.test(current) ? current.replace(pattern, section) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(benchmarksFile, next);
}

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The machine a local run measured on. */
export function machineInfo(emulator: string) {
  return {
    date: new Date().toISOString().slice(0, 10),
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    emulator,
  };
}

/** The run's day (today for results that predate the field) and the machine, for the line under a section's command. */
export function describeMachine(
  m: Partial<Pick<ReturnType<typeof machineInfo>, 'date'>> & Omit<ReturnType<typeof machineInfo>, 'date'>,
): string {
  return `${m.date ?? new Date().toISOString().slice(0, 10)}; ${m.cpus} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.emulator} emulator`;
}
