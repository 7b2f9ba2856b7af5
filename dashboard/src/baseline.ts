import type { ProfileJSON, ProfileSpec } from '@edgefleet/shared';

/** One feature's baseline histogram: bin labels (under/overflow included) and counts. */
export interface FeatureHistogram {
  name: string;
  side: 'input' | 'output';
  bins: string[];
  counts: number[];
  mean: number | null;
  n: number;
}

function finiteOr<T>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

const short = (v: number) => Number(v.toPrecision(3)).toString();

/** Bin labels for edges e0 < … < ek: `<e0`, `e0–e1`, …, `≥ek`. */
export function binLabels(edges: number[]): string[] {
  if (edges.length === 0) return ['all'];
  if (!edges.every((e) => typeof e === 'number' && Number.isFinite(e)))
    return [...edges, null].map((_, i) => `bin ${i}`);
  const labels = [`<${short(edges[0]!)}`];
  for (let i = 1; i < edges.length; i++) labels.push(`${short(edges[i - 1]!)}–${short(edges[i]!)}`);
  labels.push(`≥${short(edges[edges.length - 1]!)}`);
  return labels;
}

/** Histograms per input and output feature of a baseline profile under its spec. */
export function baselineHistograms(spec: ProfileSpec, profile: ProfileJSON): FeatureHistogram[] {
  const out: FeatureHistogram[] = [];
  const add = (side: 'input' | 'output', features: ProfileSpec['inputs'], stats: ProfileJSON['inputs']) => {
    features.forEach((feature, i) => {
      const s = stats[i];
      if (!s || !Array.isArray(s.h) || !Array.isArray(feature.edges)) return;
      const bins = binLabels(feature.edges);
      const counts = bins.map((_, j) => finiteOr(s.h[j], 0));
      const n = Array.isArray(s.m) ? finiteOr(s.m[0], 0) : 0;
      out.push({ name: feature.name, side, bins, counts, mean: n > 0 ? finiteOr(s.m[1], null) : null, n });
    });
  };
  add('input', spec.inputs ?? [], profile.inputs ?? []);
  add('output', spec.outputs ?? [], profile.outputs ?? []);
  return out;
}

/** The baseline's class shares (0…1) by label; null without classes. */
export function baselineClassMix(profile: ProfileJSON): Record<string, number> | null {
  const pairs = (Array.isArray(profile.classes?.c) ? profile.classes.c : []).filter(
    (p): p is [string, number] =>
      Array.isArray(p) && typeof p[0] === 'string' && Number.isFinite(p[1]) && p[1] >= 0,
  );
  const total = pairs.reduce((sum, [, n]) => sum + n, 0) + finiteOr(profile.classes?.other, 0);
  if (!(total > 0)) return null;
  return Object.fromEntries(pairs.map(([label, n]) => [label, n / total]));
}

/** Mean of the baseline's `confidence` output (or its first output), or null. */
export function baselineConfidenceMean(spec: ProfileSpec, profile: ProfileJSON): number | null {
  const index = Math.max(
    0,
    (spec.outputs ?? []).findIndex((o) => o.name === 'confidence'),
  );
  const m = profile.outputs?.[index]?.m;
  return Array.isArray(m) && finiteOr(m[0], 0) > 0 ? finiteOr(m[1], null) : null;
}

/** Shares (0…1) per bin of one output feature (`confidence` or the first) of a profile, or null without data. */
export function outputShares(
  spec: ProfileSpec,
  profile: ProfileJSON | null,
): { bins: string[]; shares: number[] } | null {
  const outputs = spec.outputs ?? [];
  const index = Math.max(
    0,
    outputs.findIndex((o) => o.name === 'confidence'),
  );
  const feature = outputs[index];
  const h = profile?.outputs?.[index]?.h;
  if (!feature || !Array.isArray(h) || !Array.isArray(feature.edges)) return null;
  const bins = binLabels(feature.edges);
  const counts = bins.map((_, j) => Math.max(0, finiteOr(h[j], 0)));
  const total = counts.reduce((a, b) => a + b, 0);
  return total > 0 ? { bins, shares: counts.map((c) => c / total) } : null;
}
