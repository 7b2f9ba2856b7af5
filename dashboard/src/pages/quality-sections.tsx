import type { AutomationSetting, QualityFigures, VersionQuality } from '@edgefleet/shared/api';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { Chart } from '../components/chart';
import { paletteColor } from '../components/metric-charts';
import { ProportionBar } from '../components/proportion-bar';
import { Async, Empty } from '../components/states';
import { Card, Pill } from '../components/widgets';
import { formatNumber, formatPercent, formatTime } from '../format';

// The Quality page's views over time, per slice, of the estimate and calibration, and of the automation in force.

const pct = (x: number | null | undefined) => formatPercent(x ?? null);

/** Accuracy, agreement and the label-free estimate per time bucket. */
export function QualityOverTime({ q }: { q: VersionQuality }) {
  const x = q.series.map((p) => p.fromMs);
  const share = (v: number | null) => (v === null ? null : 100 * v);
  return (
    <Chart
      title="Accuracy and agreement over time (%)"
      testId="chart-quality"
      x={x}
      yLabel="%"
      yRange={[0, 100]}
      series={[
        {
          label: 'accuracy',
          color: paletteColor(0),
          values: q.series.map((p) => share(p.accuracy.estimate)),
        },
        {
          label: 'agreement',
          color: paletteColor(1),
          values: q.series.map((p) => share(p.agreement.estimate)),
        },
        {
          label: 'estimated (label-free)',
          color: paletteColor(2),
          dash: [6, 4],
          values: q.series.map((p) => share(p.estimatedAccuracy)),
        },
      ]}
    />
  );
}

/** Measured accuracy beside the two estimates, with what they assume. */
export function EstimatedAccuracy({ q }: { q: VersionQuality }) {
  const e = q.estimated;
  if (!e)
    return <Empty>No confidence bins yet: clients that send them show the estimated accuracy here.</Empty>;
  const rows: [string, string, number | null, number, number][] = [
    ['measured', 'operator labels', q.accuracy.estimate, q.accuracy.lower, q.accuracy.upper],
    [
      'label-free',
      `mean top-1 confidence of ${formatNumber(e.inferences)}`,
      e.labelFree.estimate,
      e.labelFree.lower,
      e.labelFree.upper,
    ],
  ];
  if (e.calibrated)
    rows.push([
      'calibrated',
      `labelled accuracy per confidence bin`,
      e.calibrated.estimate,
      e.calibrated.lower,
      e.calibrated.upper,
    ]);
  return (
    <>
      <table class="table" data-testid="quality-estimated">
        <thead>
          <tr>
            <th>Accuracy</th>
            <th>from</th>
            <th class="num">estimate</th>
            <th class="num">95% interval</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, from, estimate, lower, upper]) => (
            <tr key={name} data-estimate={name}>
              <td>{name}</td>
              <td class="muted small">{from}</td>
              <td class="num" data-testid="estimate">
                {pct(estimate)}
              </td>
              <td class="num">
                {pct(lower)}–{pct(upper)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="small muted">Assumes: {e.assumes}</p>
    </>
  );
}

/** The reliability diagram as a table: per confidence bin, mean confidence against labelled accuracy. */
export function Reliability({ q }: { q: VersionQuality }) {
  const c = q.calibrationCheck;
  return (
    <>
      {c ? (
        <p data-testid="calibration-check">
          ECE {formatNumber(c.ece)} against {formatNumber(c.noise95)} from sampling noise alone (95th
          percentile; p {formatNumber(c.pValue)}):{' '}
          {c.miscalibrated ? <Pill tone="bad">miscalibrated</Pill> : <Pill tone="ok">within noise</Pill>}
        </p>
      ) : (
        <p class="muted">No labelled confidences yet: no calibration check.</p>
      )}
      <table class="table compact" data-testid="reliability">
        <thead>
          <tr>
            <th>confidence</th>
            <th class="num">inferences</th>
            <th class="num">labelled</th>
            <th class="num">mean confidence</th>
            <th class="num">accuracy</th>
            <th class="gate-bar-cell" />
          </tr>
        </thead>
        <tbody>
          {q.reliability
            .filter((b) => b.routed > 0 || b.labelled > 0)
            .map((b) => (
              <tr key={b.lower} data-bin={b.lower.toFixed(1)}>
                <td class="mono">
                  {b.lower.toFixed(1)}–{b.upper.toFixed(1)}
                </td>
                <td class="num">{formatNumber(b.routed)}</td>
                <td class="num">{formatNumber(b.labelled)}</td>
                <td class="num">{pct(b.meanLabelledConfidence ?? b.meanConfidence)}</td>
                <td class="num" data-testid="bin-accuracy">
                  {pct(b.accuracy.estimate)}
                </td>
                <td class="gate-bar-cell">
                  {b.labelled > 0 && <ProportionBar p={b.accuracy} confidence={q.confidence} />}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </>
  );
}

const figureCells = (f: QualityFigures) => (
  <>
    <td class="num">{formatNumber(f.labelled)}</td>
    <td class="num" data-testid="slice-accuracy">
      {pct(f.accuracy.estimate)}
    </td>
    <td class="gate-bar-cell">
      {f.accuracy.trials > 0 && <ProportionBar p={f.accuracy} confidence={0.95} />}
    </td>
    <td class="num">{pct(f.agreement.estimate)}</td>
    <td class="num">{pct(f.reviewShare.estimate)}</td>
    <td class="num">{pct(f.estimatedAccuracy)}</td>
  </>
);

/** One row per slice (device label value, or web app). */
export function SliceTable({ q }: { q: VersionQuality }) {
  if (!q.slices || q.slices.length === 0) return <Empty>No labelled reports in any slice.</Empty>;
  return (
    <table class="table" data-testid="quality-slices">
      <thead>
        <tr>
          <th>Slice</th>
          <th class="num">sources</th>
          <th class="num">labelled</th>
          <th class="num">accuracy</th>
          <th class="gate-bar-cell" />
          <th class="num">agreement</th>
          <th class="num">review share</th>
          <th class="num">estimated</th>
        </tr>
      </thead>
      <tbody>
        {q.slices.map((s) => {
          const name = `${s.slice.key}=${s.slice.value ?? '(none)'}`;
          return (
            <tr key={name} data-slice={name}>
              <td class="mono">{name}</td>
              <td class="num">{formatNumber(s.sources)}</td>
              {figureCells(s)}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

const targetText = (s: AutomationSetting) =>
  s.target.kind === 'selector'
    ? `selector ${s.target.selector}`
    : s.target.kind === 'devices'
      ? `devices ${s.target.ids.join(', ')}`
      : `app ${s.target.appId}`;
const levelText = (s: AutomationSetting) =>
  s.level.level === 'partial'
    ? `partial (τ ${s.level.minConfidence}, μ ${s.level.minMargin})`
    : s.level.level;

/** The automation level in force per target of the model. */
export function AutomationInForce({ model }: { model: string }) {
  const data = useLive(() => api.automation(model), [model]);
  return (
    <Async resource={data} what="Loading automation levels">
      {(list) =>
        list.settings.length === 0 ? (
          <Empty>No automation level set: the agents' default applies.</Empty>
        ) : (
          <table class="table" data-testid="quality-automation">
            <thead>
              <tr>
                <th>Target</th>
                <th>Level</th>
                <th>Set by</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {list.settings.map((s) => (
                <tr key={targetText(s)} data-target={targetText(s)}>
                  <td class="mono">{targetText(s)}</td>
                  <td data-testid="level">{levelText(s)}</td>
                  <td>{s.actor}</td>
                  <td>{formatTime(s.setAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </Async>
  );
}

/** Everything the quality read adds beside the headline numbers. */
export function QualitySections({ q }: { q: VersionQuality }) {
  return (
    <>
      <Card title="Over time">
        <QualityOverTime q={q} />
      </Card>
      <div class="grid two">
        <Card title="Estimated vs measured accuracy">
          <EstimatedAccuracy q={q} />
        </Card>
        <Card title="Calibration (reliability per confidence bin)">
          <Reliability q={q} />
        </Card>
      </div>
      {q.slices && (
        <Card title="Per slice">
          <SliceTable q={q} />
        </Card>
      )}
      <Card title="Automation level in force">
        <AutomationInForce model={q.model.name} />
      </Card>
    </>
  );
}
