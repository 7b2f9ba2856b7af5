import type { Proportion, VersionQuality } from '@edgefleet/shared/api';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { confusionCellColor } from '../components/proportion';
import { ProportionBar } from '../components/proportion-bar';
import { Async, Empty } from '../components/states';
import { Card, Facts } from '../components/widgets';
import { formatConfidence, formatNumber, formatPercent, formatTime } from '../format';
import { href, navigate } from '../router';
import { RANGES, usePickedVersion } from './monitoring-controls';
import { QualitySections } from './quality-sections';

/** Reports whose window ends a little ahead of this browser's clock (device clocks drift) still count. */
const CLOCK_SKEW_MS = 60_000;
/** Labels are sparse: a day by default (the server's default too). */
const DEFAULT_RANGE = '24h';

interface Params {
  model: string;
  version: string;
  range: string;
  /** Device label key to slice by (empty: no slices). */
  by: string;
}

/** Label keys offered for slicing (any other key works through the URL). */
const SLICE_KEYS = ['line', 'site', 'station'];
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

function paramsOf(query: URLSearchParams): Params {
  const range = query.get('range') ?? DEFAULT_RANGE;
  return {
    model: query.get('model') ?? '',
    version: query.get('version') ?? '',
    range: RANGES.some(([k]) => k === range) ? range : DEFAULT_RANGE,
    by: LABEL_KEY.test(query.get('by') ?? '') ? query.get('by')! : '',
  };
}

function go(p: Params): void {
  navigate(
    href('quality', { ...p, range: p.range === DEFAULT_RANGE ? undefined : p.range, by: p.by || undefined }),
  );
}

/** Model, version and the monitoring page's time ranges. */
function Controls({ p }: { p: Params }) {
  const models = useLive(() => api.models(), []);
  const model = p.model || models.data?.models[0]?.name || '';
  const versions = useLive(() => (model ? api.versions(model) : Promise.resolve({ versions: [] })), [model]);
  const list = versions.data?.versions.map((v) => v.version).reverse() ?? [];
  const pick = (e: Event) => (e.target as HTMLSelectElement).value;
  return (
    <form class="filters monitor-controls" onSubmit={(e) => e.preventDefault()}>
      <label>
        Model
        <select name="model" value={model} onChange={(e) => go({ ...p, model: pick(e), version: '' })}>
          {(models.data?.models ?? []).map((m) => (
            <option key={m.name}>{m.name}</option>
          ))}
        </select>
      </label>
      <label>
        Version
        <select
          name="version"
          value={p.version || list[0] || ''}
          onChange={(e) => go({ ...p, model, version: pick(e) })}
        >
          {list.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </label>
      <label>
        Range
        <select name="range" value={p.range} onChange={(e) => go({ ...p, model, range: pick(e) })}>
          {RANGES.map(([k]) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
      <label>
        Slice by
        <select name="by" value={p.by} onChange={(e) => go({ ...p, model, by: pick(e) })}>
          <option value="">—</option>
          {[...new Set([...SLICE_KEYS, ...(p.by ? [p.by] : [])])].map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
    </form>
  );
}

function Metric({
  id,
  title,
  hint,
  p,
  confidence,
}: {
  id: string;
  title: string;
  hint: string;
  p: Proportion;
  confidence: number;
}) {
  return (
    <div class="stat quality-metric" data-testid={`quality-${id}`}>
      <div class="stat-value">{formatPercent(p.estimate)}</div>
      <div class="stat-label">{title}</div>
      <ProportionBar p={p} confidence={confidence} />
      <div class="small muted">{hint}</div>
    </div>
  );
}

/** Rows: true label; columns: predicted; each cell toned by its share of the row. */
function ConfusionMatrix({ q }: { q: VersionQuality }) {
  return (
    <div class="heatmap-scroll">
      <table class="table compact confusion" data-testid="confusion-matrix">
        <thead>
          <tr>
            <th class="muted small">true ↓ · predicted →</th>
            {q.classes.map((c) => (
              <th key={c.label} class="num mono">
                {c.label}
              </th>
            ))}
            <th class="num">total</th>
          </tr>
        </thead>
        <tbody>
          {q.confusion.map((row, t) => {
            const total = row.reduce((n, c) => n + c, 0);
            const label = q.classes[t]?.label ?? String(t);
            return (
              <tr key={label}>
                <th class="mono">{label}</th>
                {row.map((count, p) => (
                  <td
                    key={q.classes[p]?.label ?? p}
                    class="num confusion-cell"
                    data-true={label}
                    data-predicted={q.classes[p]?.label}
                    style={{ background: confusionCellColor(count, total, p === t) }}
                  >
                    {formatNumber(count)}
                  </td>
                ))}
                <td class="num muted">{formatNumber(total)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function ClassTable({ q }: { q: VersionQuality }) {
  return (
    <table class="table" data-testid="class-quality">
      <thead>
        <tr>
          <th>Class</th>
          <th class="num">Support</th>
          <th class="num">Precision</th>
          <th class="gate-bar-cell" />
          <th class="num">Recall</th>
          <th class="gate-bar-cell" />
        </tr>
      </thead>
      <tbody>
        {q.classes.map((c) => (
          <tr key={c.label} data-class={c.label}>
            <td class="mono">{c.label}</td>
            <td class="num">{formatNumber(c.support)}</td>
            <td class="num" data-testid="precision">
              {formatPercent(c.precision.estimate)}
            </td>
            <td class="gate-bar-cell">
              <ProportionBar p={c.precision} confidence={q.confidence} />
            </td>
            <td class="num" data-testid="recall">
              {formatPercent(c.recall.estimate)}
            </td>
            <td class="gate-bar-cell">
              <ProportionBar p={c.recall} confidence={q.confidence} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function QualityReport({ q }: { q: VersionQuality }) {
  const routed = q.routed.auto + q.routed.review;
  const level = formatConfidence(q.confidence);
  return (
    <>
      <Facts
        rows={[
          ['Window ends', `${formatTime(q.fromMs)} to ${formatTime(q.toMs)}`],
          ['Reports with feedback', formatNumber(q.reports)],
          ['Labelled predictions', formatNumber(q.labelled)],
          ['Routed', `${formatNumber(q.routed.auto)} auto · ${formatNumber(q.routed.review)} review`],
          ['Intervals', `${level} Clopper-Pearson`],
        ]}
      />
      {q.labelled === 0 ? (
        <Empty>
          No operator labels yet: labels come from <span class="mono">POST /v1/feedback</span> on the agents.
        </Empty>
      ) : null}
      <div class="stats quality-stats">
        {q.labelled > 0 && (
          <>
            <Metric
              id="accuracy"
              title="Accuracy"
              hint="every labelled prediction"
              p={q.accuracy}
              confidence={q.confidence}
            />
            <Metric
              id="agreement"
              title="Agreement"
              hint="model = human, on what went to review"
              p={q.agreement}
              confidence={q.confidence}
            />
            <Metric
              id="auto-accuracy"
              title="Auto accuracy"
              hint="what the model decided alone (audits)"
              p={q.autoAccuracy}
              confidence={q.confidence}
            />
          </>
        )}
        {routed > 0 && (
          <Metric
            id="review-share"
            title="Review share"
            hint="inferences routed to a human"
            p={q.reviewShare}
            confidence={q.confidence}
          />
        )}
      </div>
      {q.labelled > 0 && (
        <div class="grid two">
          <Card title="Confusion matrix">
            <ConfusionMatrix q={q} />
          </Card>
          <Card title={`Precision and recall per class (${level} intervals)`}>
            <ClassTable q={q} />
          </Card>
        </div>
      )}
      <QualitySections q={q} />
    </>
  );
}

function VersionQualityView({
  model,
  version,
  range,
  by,
}: {
  model: string;
  version: string;
  range: string;
  by: string;
}) {
  const rangeMs = RANGES.find(([k]) => k === range)?.[1] ?? 24 * 3_600_000;
  const data = useLive(
    () => {
      const to = Date.now() + CLOCK_SKEW_MS;
      return api.quality(model, version, { from: to - rangeMs, to, ...(by ? { by } : {}) });
    },
    [model, version, rangeMs, by],
    ['telemetry'],
  );
  return (
    <div data-testid={`quality-${model}@${version}`}>
      <h2 class="column-title mono">
        {model}@{version}
      </h2>
      <Async resource={data} what={`Loading the quality of ${version}`}>
        {(q) => <QualityReport q={q} />}
      </Async>
    </div>
  );
}

/** Quality: a version's measured accuracy, agreement with humans and review share from operator labels, with intervals. */
export function QualityPage({ query }: { query: URLSearchParams }) {
  const p = paramsOf(query);
  const picked = usePickedVersion(p.model, p.version);
  return (
    <div class="page" data-testid="page-quality">
      <div class="page-head">
        <h1>Quality</h1>
      </div>
      <Controls p={p} />
      <Async resource={picked} what="Loading models">
        {(v) =>
          v === null ? (
            <Empty>No model versions registered yet.</Empty>
          ) : (
            <VersionQualityView model={v.model} version={v.version} range={p.range} by={p.by} />
          )
        }
      </Async>
    </div>
  );
}
