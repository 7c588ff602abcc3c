import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to a PNG file (SVG through vega, rasterized by resvg). */
export async function renderPng(spec: TopLevelSpec, file: string): Promise<void> {
  const view = new View(parseVega(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white' }).render().asPng();
  writeFileSync(file, png);
}

/** Points of an empirical CDF: for each series, latency (ms) against the fraction of jobs at or below it. */
export function cdfPoints(
  series: Record<string, number[]>,
  maxPoints = 400,
): { series: string; latencyMs: number; fraction: number }[] {
  return Object.entries(series).flatMap(([name, values]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / maxPoints));
    const points = [];
    for (let i = 0; i < sorted.length; i += step)
      points.push({ series: name, latencyMs: sorted[i]!, fraction: (i + 1) / sorted.length });
    points.push({ series: name, latencyMs: sorted.at(-1)!, fraction: 1 });
    return points;
  });
}

/** What every chart here shares: the spec's version, a title, the size, and its data points. */
const frame = (title: string, points: object[]) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title,
  width: 640,
  height: 360,
  data: { values: points },
});

/** A latency CDF chart: one line per series, log-scaled latency axis. */
export function latencyCdfSpec(title: string, points: ReturnType<typeof cdfPoints>): TopLevelSpec {
  return {
    ...frame(title, points),
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'latencyMs', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of jobs ≤ latency', axis: { format: '%' } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Each series' values over time as a scatter: one point per sample, log-scaled value axis. */
export function scatterOverTimeSpec(
  title: string,
  points: { series: string; seconds: number; valueMs: number }[],
  axes: { x: string; y: string },
): TopLevelSpec {
  return {
    ...frame(title, points),
    mark: { type: 'point', filled: true, size: 12, opacity: 0.6 },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: axes.x },
      y: { field: 'valueMs', type: 'quantitative', title: axes.y, scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
      // Series that overlap (two quiet tenants waiting alike) stay visible by their shapes.
      shape: { field: 'series', type: 'nominal', title: null },
    },
  };
}
