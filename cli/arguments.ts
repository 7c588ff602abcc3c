import { InvalidArgumentError, Option } from 'commander';
import { CAPACITIES, PRIORITIES } from '../src/jobs/model/index.ts';

/** Option values several commands share, parsed and checked before any request is sent. */

export const capacityOption = () => new Option('--capacity <class>', 'capacity class').choices(CAPACITIES);
export const priorityOption = () => new Option('--priority <priority>', 'priority').choices(PRIORITIES);

/** A parser for whole numbers of at least `min`. */
export function integerFrom(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number of at least ${min}`);
    return n;
  };
}

export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('must be a number of seconds above 0');
  return n;
}

export function jsonValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`not JSON: ${(error as Error).message}`);
  }
}
