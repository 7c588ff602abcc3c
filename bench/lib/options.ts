import { Option } from 'commander';

/** A numeric flag with its default. */
export const numberOption = (flags: string, description: string, fallback: number): Option =>
  new Option(flags, description).argParser(Number).default(fallback);

/** The flags of the benches' worker pools, batch submissions and notes, with the same defaults everywhere. */
export const sharedOptions = {
  workers: () => numberOption('--workers <n>', 'cpu worker processes', 2),
  workerConcurrency: () => numberOption('--worker-concurrency <n>', 'attempts per worker', 8),
  batchSize: () => numberOption('--batch-size <n>', 'jobs per POST /jobs/batch', 100),
  batchConcurrency: () => numberOption('--batch-concurrency <n>', 'parallel POST /jobs/batch', 4),
  note: () => new Option('--note <text>', 'what else ran on the machine, or anything a reader of this run must know'),
};
