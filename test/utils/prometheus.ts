import { createRequire } from 'node:module';

/** One metric family as parse-prometheus-text-format returns it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[];
}

const parse = createRequire(__filename)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** Parses Prometheus text exposition format with an independent parser (throws on malformed text). */
export function parsePrometheus(text: string): MetricFamily[] {
  return parse(text);
}

/** The value of `name` with exactly `labels` (0 when the series does not exist). */
export function metricValue(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  const series = family?.metrics.find((m) => Object.entries(labels).every(([key, value]) => m.labels?.[key] === value));
  return series?.value === undefined ? 0 : Number(series.value);
}
