/** Where the CLI reads its settings from and writes to: the process, or a test's capture. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Where `.tailguard/local.json` is looked for. */
  cwd: string;
  /** Where live progress bars draw (they draw only on a terminal). */
  progress: NodeJS.WritableStream;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    progress: process.stderr,
  };
}
