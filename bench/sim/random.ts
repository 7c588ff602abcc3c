/** A seeded source of uniform numbers in [0, 1): the simulator's only randomness, so a seed replays a run. */
export type Random = () => number;

export { mulberry32 } from '../../demo/worker/seeded-random.ts';

/** A standard normal draw (Box–Muller). */
export const normal = (random: Random): number =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** An exponential draw with the given mean. */
export const exponential = (random: Random, mean: number): number => -mean * Math.log(1 - random());
