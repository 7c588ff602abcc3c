/** Progress below this is too little to extrapolate from. */
const MIN_PROGRESS = 0.02;

/**
 * The LATE estimate of an attempt's total run time: its elapsed time divided by the progress its
 * handler reported, i.e. its progress rate extrapolated to the end. Undefined without usable progress.
 */
export function projectedTotalMs(elapsedMs: number, progress: number | undefined): number | undefined {
  return progress !== undefined && progress >= MIN_PROGRESS ? elapsedMs / progress : undefined;
}
