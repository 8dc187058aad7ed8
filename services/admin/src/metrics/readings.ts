/**
 * What each plot shows, computed from two consecutive scrapes of a service: rates from counters (with
 * the number of events in between, so the dashboard can say "25 in the last hour"), gauges as read,
 * and a p99 from a histogram's buckets (as Prometheus's histogram_quantile does).
 */
import { sumBy, type Sample } from './prometheus-text.js';

export interface Reading {
  /** Per series: the value plotted, or null when it cannot be known (first scrape, nothing measured). */
  readonly values: Readonly<Record<string, number | null>>;
  /** Per series, for counters: how many events happened since the previous scrape. */
  readonly counts?: Readonly<Record<string, number>>;
}

export type Read = (
  now: readonly Sample[],
  before: readonly Sample[] | undefined,
  seconds: number,
) => Reading;
type LabelKey = (labels: Readonly<Record<string, string>>) => string | undefined;

/** A counter's increase; a smaller value means the service restarted and counts from 0 again. */
const increase = (now: number, before: number | undefined) =>
  before === undefined ? now : now >= before ? now - before : now;

/** Events per second of a counter, by a key of its labels. */
export function counterRate(name: string, key: LabelKey): Read {
  return (now, before, seconds) => {
    const current = sumBy(now, name, key);
    if (!before || seconds <= 0)
      return { values: Object.fromEntries([...current.keys()].map((k) => [k, null])) };
    const previous = sumBy(before, name, key);
    const values: Record<string, number> = {};
    const counts: Record<string, number> = {};
    for (const [k, value] of current) {
      counts[k] = increase(value, previous.get(k) ?? 0);
      values[k] = counts[k] / seconds;
    }
    return { values, counts };
  };
}

/** A gauge as read, as one series. */
export function gauge(name: string, series: string): Read {
  return (now) => ({ values: { [series]: sumBy(now, name, () => '').get('') ?? null } });
}

/**
 * The 99th percentile, in milliseconds, of what a seconds histogram observed between two scrapes
 * (all label sets together); null when it observed nothing. Within a bucket the value is
 * interpolated linearly; in the +Inf bucket it is the highest finite bound.
 */
export function histogramP99Ms(name: string, series: string): Read {
  return (now, before) => {
    const bucket = `${name}_bucket`;
    const current = sumBy(now, bucket, (labels) => labels.le);
    const previous = before ? sumBy(before, bucket, (labels) => labels.le) : new Map<string, number>();
    const buckets = [...current]
      .map(([le, count]) => ({
        le: le === '+Inf' ? Infinity : Number(le),
        count: increase(count, previous.get(le) ?? 0),
      }))
      .filter((b) => !Number.isNaN(b.le))
      .sort((a, b) => a.le - b.le);
    const total = buckets.at(-1)?.count ?? 0;
    if (!before || total === 0) return { values: { [series]: null } };
    const target = 0.99 * total;
    let lower = 0;
    let below = 0;
    for (const { le, count } of buckets) {
      if (count >= target) {
        if (le === Infinity) return { values: { [series]: lower * 1000 } };
        const share = count === below ? 1 : (target - below) / (count - below);
        return { values: { [series]: (lower + (le - lower) * share) * 1000 } };
      }
      lower = le;
      below = count;
    }
    return { values: { [series]: lower * 1000 } };
  };
}
