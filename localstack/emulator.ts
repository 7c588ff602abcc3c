import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../src/package-root.ts';

export const DEFAULT_ENDPOINT = 'http://localhost:4566';

const root = packageRoot(import.meta.url);
const venvDir = `${root}.venv`;
const requirementsFile = `${root}localstack/requirements.txt`;
const stampFile = `${venvDir}/.tailguard-requirements.sha256`;
const logDir = `${root}.tailguard`;

export type EmulatorKind = 'ministack' | 'localstack' | 'unknown';

export interface Emulator {
  endpoint: string;
  kind: EmulatorKind;
  /** True when this process started it (and so stops it). */
  startedHere: boolean;
  /** Clears all state: MiniStack only. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export class EmulatorSetupError extends Error {
  override name = 'EmulatorSetupError';
}

type Log = (line: string) => void;

/**
 * Uses the AWS emulator answering at `endpoint`, or, when none does, installs the pinned MiniStack
 * into the project's venv, starts it, and waits until it is healthy.
 */
export async function ensureEmulator(options: { endpoint?: string; log?: Log } = {}): Promise<Emulator> {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL ?? DEFAULT_ENDPOINT;
  const log = options.log ?? ((line) => console.error(line));
  const running = await detect(endpoint);
  if (running) {
    log(`Using the ${running} emulator already running at ${endpoint}`);
    return handle(endpoint, running, undefined);
  }
  const { hostname, port } = new URL(endpoint);
  if (!['localhost', '127.0.0.1'].includes(hostname)) {
    throw new EmulatorSetupError(
      `nothing answers at ${endpoint}, and MiniStack can only be started on this machine (localhost)`,
    );
  }
  const python = installVenv(log);
  mkdirSync(logDir, { recursive: true });
  const logFile = `${logDir}/ministack.log`;
  log(`Starting MiniStack on port ${port || '80'} (log: ${logFile})`);
  const out = openSync(logFile, 'a');
  // MiniStack unpacks every Lambda runtime it starts into the temp dir and never removes it (about
  // 6 MB each, thousands in a test run): a dir of its own, emptied at start and stop, bounds that.
  // Not inside the project: Node would read its package.json ("type": "module") for MiniStack's
  // CommonJS runtime script, and every function would fail to start.
  const scratchDir = join(tmpdir(), `tailguard-ministack-${port || '80'}`);
  rmSync(scratchDir, { recursive: true, force: true });
  mkdirSync(scratchDir, { recursive: true });
  const child = spawn(python, [`${root}localstack/ministack_child.py`], {
    // Its own process group: the Lambda runtimes MiniStack starts join it, so stop() ends them too.
    detached: true,
    env: {
      ...process.env,
      GATEWAY_PORT: port || '80',
      LOG_LEVEL: 'WARNING',
      TAILGUARD_PARENT_PID: String(process.pid),
      TMPDIR: scratchDir,
    },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  while ((await detect(endpoint)) !== 'ministack') {
    const early = await Promise.race([exited, sleep(200, 'waiting')]);
    if (early !== 'waiting')
      throw new EmulatorSetupError(`MiniStack exited with code ${early} while starting; see ${logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new EmulatorSetupError(`MiniStack did not become healthy within 60 s; see ${logFile}`);
    }
  }
  log(`MiniStack is up at ${endpoint}`);
  return handle(endpoint, 'ministack', { child, scratchDir });
}

async function detect(endpoint: string): Promise<EmulatorKind | undefined> {
  const answers = async (path: string) => {
    try {
      const response = await fetch(new URL(path, endpoint), { signal: AbortSignal.timeout(2000) });
      return response.ok;
    } catch {
      return undefined;
    }
  };
  if (await answers('/_ministack/health')) return 'ministack';
  if (await answers('/_localstack/health')) return 'localstack';
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
    return 'unknown';
  } catch {
    return undefined;
  }
}

/** The MiniStack process this process started, and the temp dir it gave it. */
interface StartedHere {
  child: ChildProcess;
  scratchDir: string;
}

function handle(endpoint: string, kind: EmulatorKind, started: StartedHere | undefined): Emulator {
  return {
    endpoint,
    kind,
    startedHere: started !== undefined,
    async reset() {
      if (kind !== 'ministack')
        throw new EmulatorSetupError(`cannot reset a ${kind} emulator; restart it for a clean state`);
      const response = await fetch(new URL('/_ministack/reset', endpoint), { method: 'POST' });
      if (!response.ok) throw new EmulatorSetupError(`MiniStack reset failed: HTTP ${response.status}`);
    },
    async stop() {
      if (!started) return;
      const { child, scratchDir } = started;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        if ((await Promise.race([exited, sleep(5000, 'timeout')])) === 'timeout') child.kill('SIGKILL');
      }
      // A Lambda still looping (the detector runs for 80 s) would outlive MiniStack, calling a dead endpoint.
      killGroup(child.pid);
      rmSync(scratchDir, { recursive: true, force: true });
    },
  };
}

/** Creates `.venv` and installs the pinned requirements, skipping both when already done. */
function installVenv(log: Log): string {
  const python = `${venvDir}/bin/python`;
  const wanted = createHash('sha256').update(readFileSync(requirementsFile)).digest('hex');
  if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted) return python;

  const system = ['python3', 'python'].find((cmd) => spawnSync(cmd, ['--version']).status === 0);
  if (!system) {
    throw new EmulatorSetupError(
      'Python 3 was not found. The embedded AWS emulator (MiniStack) needs Python 3.10+ with venv and pip ' +
        '(Debian/Ubuntu: apt-get install python3 python3-venv python3-pip), or start LocalStack yourself and set AWS_ENDPOINT_URL.',
    );
  }
  if (!existsSync(python)) {
    log(`Creating the project venv at ${venvDir}`);
    run(
      system,
      ['-m', 'venv', venvDir],
      'creating the venv failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)',
    );
  }
  if (spawnSync(python, ['-m', 'pip', '--version']).status !== 0) {
    throw new EmulatorSetupError(
      `pip is missing from ${venvDir}: install it (Debian/Ubuntu: apt-get install python3-pip) and delete ${venvDir}`,
    );
  }
  log(`Installing ${requirementsFile} into the venv (one time)`);
  run(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirementsFile],
    'pip install of the emulator failed',
  );
  writeFileSync(stampFile, wanted);
  return python;
}

function run(command: string, args: string[], failure: string): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0)
    throw new EmulatorSetupError(
      `${failure} (${command} ${args.join(' ')} exited with ${result.status ?? result.signal})`,
    );
}

/** The venv's cfn-lint, installed with the emulator's requirements. */
export function cfnLintPath(log?: Log): string {
  installVenv(log ?? ((line) => console.error(line)));
  return `${venvDir}/bin/cfn-lint`;
}

/** SIGKILL to every process left in the group `pid` leads; none left is fine. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already empty.
  }
}
