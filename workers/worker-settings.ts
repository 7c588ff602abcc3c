import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Environment, readSection, type Settings } from '../src/aws/environment/index.ts';

/** A worker's settings: each one left out comes from its `WORKER_*` variable, then its default (src/aws/environment). */
export type WorkerSettings = Partial<Settings<'worker'>>;

/** The settings a worker runs with: those given, the rest from `env`; and its id, unique per process unless given. */
export function resolveSettings(given: WorkerSettings, env: Environment): Settings<'worker'> & { workerId: string } {
  const settings: Settings<'worker'> = { ...readSection('worker', env), ...definedOnly(given) };
  const workerId = settings.workerId ?? `${settings.capacity}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  return { ...settings, workerId };
}

/** The settings an options object gives, without its undefined fields (they must not hide env values). */
function definedOnly(options: WorkerSettings): WorkerSettings {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
