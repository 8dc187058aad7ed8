/**
 * One metric as the Prometheus text format lists it: a name, a type, a help line and its samples. A
 * histogram's samples carry the suffix of their series (`_bucket`, `_sum`, `_count`).
 */
export interface MetricFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly samples: readonly (readonly [
    labels: Readonly<Record<string, string>> | undefined,
    value: number,
    suffix?: '_bucket' | '_sum' | '_count',
  ])[];
}

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, value, suffix = ''] of f.samples) {
      const rendered = labels
        ? `{${Object.entries(labels)
            .map(([k, v]) => `${k}="${escape(v)}"`)
            .join(',')}}`
        : '';
      lines.push(`${f.name}${suffix}${rendered} ${Number.isFinite(value) ? value : 0}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
