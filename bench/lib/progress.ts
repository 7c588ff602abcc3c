import { MultiBar, Presets, SingleBar } from 'cli-progress';

/** Bar settings that also print (every 10 s) when the output is a CI log rather than a terminal. */
const options = (format: string) => ({
  format,
  hideCursor: true,
  clearOnComplete: false,
  noTTYOutput: true,
  notTTYSchedule: 10_000,
});

export const progressBar = (format: string): SingleBar => new SingleBar(options(format), Presets.shades_classic);

export const progressBars = (format: string): MultiBar => new MultiBar(options(format), Presets.shades_classic);
