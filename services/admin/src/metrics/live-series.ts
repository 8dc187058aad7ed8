/**
 * The last hour of every plot, in the admin's memory (a restart starts empty): one point per scrape,
 * dropped once older than the window: about 720 points per plot at one scrape every 5 s.
 */
import type { Reading } from './readings.js';
import type { PlotSpec } from './plots.js';

interface Point {
  /** Unix time, seconds (what uPlot plots). */
  readonly t: number;
  readonly reading: Reading | null;
}

export interface PlotData {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly service: string;
  readonly series: readonly string[];
  /** Columns as uPlot takes them: [timestamps, one array per series]; null is a gap. */
  readonly data: readonly (readonly (number | null)[])[];
  /** Per counter series, the events counted in the window. */
  readonly totals: Readonly<Record<string, number>>;
}

/** A counter series missing from a reading counted nothing (0); otherwise a missing value is a gap. */
function valueOf(reading: Reading | null, name: string): number | null {
  if (!reading) return null;
  return reading.values[name] ?? (reading.counts ? 0 : null);
}

export class LiveSeries {
  private readonly points = new Map<string, Point[]>();

  constructor(
    private readonly plots: readonly PlotSpec[],
    private readonly windowSeconds: number,
  ) {
    for (const plot of plots) this.points.set(plot.id, []);
  }

  /** A reading of one plot at time `t`, or null (a gap) when its service could not be read. */
  add(plotId: string, t: number, reading: Reading | null): void {
    const points = this.points.get(plotId);
    if (!points) return;
    points.push({ t, reading });
    const oldest = t - this.windowSeconds;
    while (points.length > 0 && points[0]!.t < oldest) points.shift();
  }

  snapshot(): PlotData[] {
    return this.plots.map((plot) => {
      const points = this.points.get(plot.id) ?? [];
      const seen = new Set<string>();
      for (const { reading } of points) for (const name of Object.keys(reading?.values ?? {})) seen.add(name);
      const declared = plot.series ?? [];
      const series = [...declared, ...[...seen].filter((name) => !declared.includes(name)).sort()];
      const totals: Record<string, number> = {};
      for (const { reading } of points)
        for (const [name, count] of Object.entries(reading?.counts ?? {}))
          totals[name] = (totals[name] ?? 0) + count;
      return {
        id: plot.id,
        title: plot.title,
        unit: plot.unit,
        service: plot.service,
        series,
        data: [
          points.map((point) => point.t),
          ...series.map((name) => points.map((point) => valueOf(point.reading, name))),
        ],
        totals,
      };
    });
  }
}
