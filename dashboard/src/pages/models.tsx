import type { Lineage } from '@edgefleet/shared';
import type {
  Dataset,
  Device,
  ModelVersionView as ModelVersion,
  TensorSignature as TensorInfo,
} from '@edgefleet/shared/api';
import { runningModelsOf } from '@edgefleet/shared/api/client';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { baselineHistograms } from '../baseline';
import { Chart } from '../components/chart';
import { paletteColor } from '../components/metric-charts';
import { Async, Empty } from '../components/states';
import { Card, DeviceTags, Facts, Pill } from '../components/widgets';
import { formatBytes, formatNumber, formatTime } from '../format';
import { href } from '../router';

function TensorTable({ inputs, outputs }: { inputs: TensorInfo[]; outputs: TensorInfo[] }) {
  const rows = [...inputs.map((t) => ['input', t] as const), ...outputs.map((t) => ['output', t] as const)];
  return (
    <table class="table compact">
      <thead>
        <tr>
          <th />
          <th>name</th>
          <th>type</th>
          <th>shape</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([side, t]) => (
          <tr key={`${side}-${t.name}`}>
            <td class="muted">{side}</td>
            <td class="mono">{t.name}</td>
            <td>{t.type}</td>
            <td class="mono">[{t.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const pairs = (v: Record<string, string | number | boolean>) =>
  Object.entries(v)
    .map(([k, x]) => `${k}=${typeof x === 'number' ? formatNumber(x) : String(x)}`)
    .join(', ');

/** One line of lineage for the versions table: parent, code revision, metrics. */
export function lineageSummary(lineage: Lineage): string {
  const parts: string[] = [];
  if (lineage.parent) parts.push(`from ${lineage.parent.version}`);
  if (lineage.trainedOn) parts.push(`trained on ${lineage.trainedOn}`);
  if (lineage.codeRevision) parts.push(`rev ${lineage.codeRevision}`);
  if (lineage.metrics) parts.push(pairs(lineage.metrics));
  return parts.join(' · ');
}

function lineageRows(lineage: Lineage): [string, ComponentChildren][] {
  const { parent, createdAt, trainingDataSha256, trainedOn, params, metrics, ...text } = lineage;
  const rows: [string, ComponentChildren][] = Object.entries(text).map(([key, value]) => [key, value]);
  if (createdAt !== undefined) rows.push(['createdAt', formatTime(createdAt)]);
  if (trainingDataSha256)
    rows.push(['trainingDataSha256', <span class="mono small">{trainingDataSha256.slice(0, 16)}…</span>]);
  if (trainedOn)
    rows.push([
      'trainedOn',
      <a href={href('datasets', trainedOn)} class="mono">
        {trainedOn}
      </a>,
    ]);
  if (parent)
    rows.push(['parent', <a href={href('models', parent.name)}>{`${parent.name}@${parent.version}`}</a>]);
  if (params) rows.push(['params', <span class="mono">{pairs(params)}</span>]);
  if (metrics) rows.push(['metrics', <span class="mono">{pairs(metrics)}</span>]);
  return rows;
}

const sameVersion = (a: { name: string; version: string }, b: { name: string; version: string }) =>
  a.name === b.name && a.version === b.version;

/**
 * Version ⇄ dataset ⇄ devices: the dataset this version was trained on (and the devices its samples came from),
 * the datasets captured from this version, and the devices running it now.
 */
function DataLineage({ version, running }: { version: ModelVersion; running: Device[] }) {
  const datasets = useLive(() => api.datasets(), []);
  const trainedOn = version.lineage.trainedOn;
  return (
    <Card title="Data lineage" testId="version-lineage">
      <Async resource={datasets} what="Loading datasets">
        {({ datasets: list }) => {
          const source = trainedOn ? list.find((d) => d.id === trainedOn) : undefined;
          const captured = list.filter((d) => d.provenance.versions.some((v) => sameVersion(v, version)));
          const line = (d: Dataset) => (
            <li key={d.id}>
              <a href={href('datasets', d.id)}>{d.name}</a> <span class="mono muted small">{d.id}</span> ·{' '}
              {d.sampleCount} samples from <DeviceTags ids={d.provenance.devices} />
            </li>
          );
          return (
            <Facts
              rows={[
                [
                  'Trained on',
                  !trainedOn ? (
                    <span class="muted">no dataset recorded (model push --trained-on)</span>
                  ) : source ? (
                    <ul class="plain" data-testid="trained-on">
                      {line(source)}
                    </ul>
                  ) : (
                    <a href={href('datasets', trainedOn)} class="mono">
                      {trainedOn}
                    </a>
                  ),
                ],
                [
                  'Samples it captured',
                  captured.length === 0 ? (
                    <span class="muted">in no dataset yet</span>
                  ) : (
                    <ul class="plain" data-testid="captured-into">
                      {captured.map(line)}
                    </ul>
                  ),
                ],
                ['Running on', <DeviceTags ids={running.map((d) => d.id)} />],
              ]}
            />
          );
        }}
      </Async>
    </Card>
  );
}

function VersionDetail({ version, devices }: { version: ModelVersion; devices: Device[] }) {
  const detail = useLive(async () => {
    const [meta, spec, baseline] = await Promise.all([
      api.artifactMeta(version.sha256),
      api.spec(version.name, version.version),
      api.baseline(version.name, version.version),
    ]);
    return {
      meta,
      histograms: baselineHistograms(spec, baseline),
      inferences: baseline.inferences,
      classes: baseline.classes,
    };
  }, [version.name, version.version]);
  const running = devices.filter((d) => {
    const r = runningModelsOf(d.reportedState);
    return [r?.active, r?.shadow, r?.standby].some(
      (m) => m?.name === version.name && m.version === version.version,
    );
  });
  const lineage = version.lineage ?? {};
  return (
    <div data-testid="version-detail">
      <div class="grid two">
        <Card title={`${version.name}@${version.version}`}>
          <Facts
            rows={[
              ['Registered', `${formatTime(version.createdAt)} by ${version.createdBy}`],
              ['Size', formatBytes(version.sizeBytes)],
              ['sha256', <span class="mono small">{version.sha256}</span>],
              ['Baseline', <span class="mono small">{version.baselineSha256.slice(0, 16)}…</span>],
              ['Golden pair', version.goldenSha256 ? 'yes' : 'no'],
              [
                'Status',
                version.deprecatedAt ? (
                  <Pill tone="warn">deprecated: {version.deprecationReason}</Pill>
                ) : (
                  <Pill tone="ok">available</Pill>
                ),
              ],
            ]}
          />
          <h3>Lineage</h3>
          {Object.keys(lineage).length === 0 ? (
            <p class="muted">none recorded</p>
          ) : (
            <Facts rows={lineageRows(lineage)} />
          )}
        </Card>
        <Card title="IO signature and preprocessing" testId="io-signature">
          <Async resource={detail} what="Loading the signature">
            {(d) =>
              d.meta.signature ? (
                <TensorTable inputs={d.meta.signature.inputs} outputs={d.meta.signature.outputs} />
              ) : (
                <p class="muted">No signature recorded.</p>
              )
            }
          </Async>
          <h3>Preprocessing</h3>
          <Facts
            rows={Object.entries(version.preprocessing).map(([k, v]) => [
              k,
              <span class="mono">
                {Array.isArray(v)
                  ? `[${v.join(', ')}]`
                  : typeof v === 'object'
                    ? JSON.stringify(v)
                    : String(v)}
              </span>,
            ])}
          />
        </Card>
      </div>
      <DataLineage version={version} running={running} />
      <Card title="Baseline profile" testId="baseline-histograms">
        <Async resource={detail} what="Loading the baseline">
          {(d) =>
            d.histograms.length === 0 ? (
              <Empty>The baseline has no features.</Empty>
            ) : (
              <>
                <p class="muted">
                  {formatNumber(d.inferences)} reference samples; bins are the baseline's own quantile edges,
                  which clients count into.
                </p>
                <div class="grid three">
                  {d.histograms.map((h, i) => (
                    <Chart
                      key={`${h.side}-${h.name}`}
                      title={`${h.side} · ${h.name}${h.mean !== null ? ` (mean ${formatNumber(h.mean)})` : ''}`}
                      time={false}
                      height={160}
                      x={h.bins.map((_, j) => j)}
                      xTicks={h.bins}
                      series={[
                        {
                          label: 'count',
                          color: paletteColor(i),
                          fill: `${paletteColor(i)}99`,
                          bars: true,
                          values: h.counts,
                        },
                      ]}
                    />
                  ))}
                </div>
              </>
            )
          }
        </Async>
      </Card>
      <Card title={`Devices running it (${running.length})`} testId="version-devices">
        {running.length === 0 ? (
          <Empty>No device reports running this version.</Empty>
        ) : (
          <div class="tags">
            {running.map((d) => (
              <a class="tag link-tag" key={d.id} href={href('devices', d.id)}>
                {d.id}
                {runningModelsOf(d.reportedState)?.active?.version === version.version
                  ? ''
                  : ' (shadow/standby)'}
              </a>
            ))}
          </div>
        )}
      </Card>
    </div>
  );
}

function ModelVersions({
  name,
  initial,
  devices,
  counts,
}: {
  name: string;
  initial: string | null;
  devices: Device[];
  counts: Record<string, number>;
}) {
  const versions = useLive(() => api.versions(name), [name]);
  const [picked, setPicked] = useState<string | null>(initial);
  // A link to another version of the same model (`?version=`) picks it.
  useEffect(() => {
    if (initial) setPicked(initial);
  }, [initial]);
  return (
    <Async resource={versions} what="Loading versions">
      {({ versions: list }) => {
        if (list.length === 0) return <Empty>No versions of {name}.</Empty>;
        const chosen = list.find((v) => v.version === picked) ?? list[list.length - 1]!;
        return (
          <>
            <Card title={`Versions of ${name}`}>
              <table class="table" data-testid="versions-table">
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Registered</th>
                    <th>By</th>
                    <th>Lineage</th>
                    <th class="num">Devices</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {[...list].reverse().map((v) => (
                    <tr
                      key={v.version}
                      class={`clickable ${v.version === chosen.version ? 'selected' : ''}`}
                      onClick={() => setPicked(v.version)}
                    >
                      <td class="mono">
                        {v.version} {v.deprecatedAt && <Pill tone="warn">deprecated</Pill>}
                      </td>
                      <td>{formatTime(v.createdAt)}</td>
                      <td>{String(v.lineage.createdBy ?? v.createdBy)}</td>
                      <td class="muted small">{lineageSummary(v.lineage) || '—'}</td>
                      <td class="num">{counts[`${name}@${v.version}`] ?? 0}</td>
                      <td>
                        <a
                          href={href('monitoring', { model: name, version: v.version })}
                          onClick={(e) => e.stopPropagation()}
                        >
                          monitor
                        </a>{' '}
                        <a
                          href={href('quality', { model: name, version: v.version })}
                          onClick={(e) => e.stopPropagation()}
                        >
                          quality
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
            <VersionDetail version={chosen} devices={devices} />
          </>
        );
      }}
    </Async>
  );
}

/** Models: names, versions with lineage, IO signature, preprocessing, baseline histograms, who runs each version. */
export function ModelsPage({ selected, version }: { selected: string | null; version: string | null }) {
  const data = useLive(
    async () => {
      const [models, devices] = await Promise.all([api.models(), api.devices({ limit: 1000 })]);
      return { models: models.models, devices: devices.devices };
    },
    [],
    ['device'],
  );
  return (
    <div class="page" data-testid="page-models">
      <h1>Models</h1>
      <Async resource={data} what="Loading models">
        {({ models, devices }) => {
          if (models.length === 0)
            return <Empty>No models registered yet: push one with `edgefleet model push`.</Empty>;
          const name = models.some((m) => m.name === selected) ? selected! : models[0]!.name;
          const counts: Record<string, number> = {};
          for (const d of devices) {
            const a = runningModelsOf(d.reportedState)?.active;
            if (a) counts[`${a.name}@${a.version}`] = (counts[`${a.name}@${a.version}`] ?? 0) + 1;
          }
          return (
            <>
              <div class="tabs" data-testid="model-tabs">
                {models.map((m) => (
                  <a key={m.name} href={href('models', m.name)} class={m.name === name ? 'active' : ''}>
                    {m.name} <span class="muted">({m.versions})</span>
                  </a>
                ))}
              </div>
              <ModelVersions
                key={name}
                name={name}
                initial={name === selected ? version : null}
                devices={devices}
                counts={counts}
              />
            </>
          );
        }}
      </Async>
    </div>
  );
}
