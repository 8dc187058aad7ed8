/**
 * A reader for the Prometheus text exposition format (version 0.0.4), enough for what fast and auth
 * expose: `name{label="value",...} value [timestamp]` lines; comments, blank lines and lines it cannot
 * read are skipped (one odd line must not lose a whole scrape). prom-client only writes this format.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|(?=\}))/;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_match, char: string) => (char === 'n' ? '\n' : char));
}

function sampleValue(text: string): number | undefined {
  const token = text.trim().split(/\s+/)[0] ?? '';
  if (token === '+Inf') return Infinity;
  if (token === '-Inf') return -Infinity;
  if (token === 'NaN') return NaN;
  const value = Number(token);
  return token !== '' && !Number.isNaN(value) ? value : undefined;
}

function parseLine(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0];
  if (!name) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      const label = LABEL.exec(rest);
      if (!label) break;
      labels[label[1]!] = unescapeLabel(label[2]!);
      rest = rest.slice(label[0].length);
    }
    rest = rest.trimStart();
    if (!rest.startsWith('}')) return undefined;
    rest = rest.slice(1);
  }
  const value = sampleValue(rest);
  return value === undefined ? undefined : { name, labels, value };
}

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const sample = parseLine(trimmed);
    if (sample) samples.push(sample);
  }
  return samples;
}

/**
 * The samples of one metric summed by a key of their labels (`key` returning undefined drops a
 * sample): e.g. requests by status class, tokens by grant type.
 */
export function sumBy(
  samples: readonly Sample[],
  name: string,
  key: (labels: Readonly<Record<string, string>>) => string | undefined,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const k = key(sample.labels);
    if (k !== undefined) sums.set(k, (sums.get(k) ?? 0) + sample.value);
  }
  return sums;
}
