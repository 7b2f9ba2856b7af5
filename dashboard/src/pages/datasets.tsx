import type { Dataset, SampleFilter } from '@edgefleet/shared/api';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { Async, Empty } from '../components/states';
import { Card, DeviceTags, Facts } from '../components/widgets';
import { formatBytes, formatTime } from '../format';
import { href } from '../router';
import { ExportLink } from './dataset-export';

/** `model=cls · reason=low_confidence · from …`: a dataset's filter in one line. */
export function filterText(filter: SampleFilter): string {
  const parts = Object.entries(filter).map(([k, v]) =>
    k === 'from' || k === 'to' ? `${k} ${formatTime(v as number)}` : `${k}=${String(v)}`,
  );
  return parts.length === 0 ? 'every sample' : parts.join(' · ');
}

const versionLink = (v: { name: string; version: string }) => (
  <a
    key={`${v.name}@${v.version}`}
    class="tag link-tag"
    href={href('models', v.name, { version: v.version })}
  >
    {v.name}@{v.version}
  </a>
);

const counts = (record: Record<string, number | undefined>) =>
  Object.entries(record)
    .map(([k, n]) => `${k}: ${n ?? 0}`)
    .join(', ') || '—';

function DatasetDetail({ id }: { id: string }) {
  const data = useLive(() => api.dataset(id), [id]);
  return (
    <Async resource={data} what="Loading the dataset">
      {(d) => (
        <div data-testid="dataset-detail">
          <p class="crumbs">
            <a href={href('datasets')}>Datasets</a> / <span class="mono">{d.id}</span>
          </p>
          <div class="grid two">
            <Card title={d.name} actions={<ExportLink dataset={d} />}>
              <Facts
                rows={[
                  ['Samples', `${d.sampleCount}${d.truncated > 0 ? ` (${d.truncated} more left out)` : ''}`],
                  ['Size', formatBytes(d.totalBytes)],
                  ['Filter', <span class="mono small">{filterText(d.filter)}</span>],
                  ['Labelled only', d.labelledOnly ? 'yes' : 'no'],
                  ['Created', `${formatTime(d.createdAt)} by ${d.createdBy}`],
                  [
                    'Trained versions',
                    d.trainedVersions.length === 0 ? (
                      <span class="muted">none yet</span>
                    ) : (
                      <span class="tags" data-testid="trained-versions">
                        {d.trainedVersions.map(versionLink)}
                      </span>
                    ),
                  ],
                ]}
              />
            </Card>
            <Card title="Provenance" testId="provenance">
              <Facts
                rows={[
                  ['Devices', <DeviceTags ids={d.provenance.devices} />],
                  ['Apps', d.provenance.apps.join(', ') || '—'],
                  [
                    'Captured by versions',
                    <span class="tags">{d.provenance.versions.map(versionLink)}</span>,
                  ],
                  ['Capture reasons', counts(d.provenance.reasons)],
                  ['Labels', counts(d.provenance.labels)],
                  ['Labelled by', d.provenance.labelledBy.join(', ') || '—'],
                  ['Captured', `${formatTime(d.provenance.from)} – ${formatTime(d.provenance.to)}`],
                ]}
              />
            </Card>
          </div>
          <Card title={`Samples (${d.samples.length})`}>
            <table class="table compact">
              <thead>
                <tr>
                  <th>sha256</th>
                  <th>type</th>
                  <th class="num">size</th>
                  <th>label</th>
                </tr>
              </thead>
              <tbody>
                {d.samples.slice(0, 200).map((s) => (
                  <tr key={s.sha256}>
                    <td class="mono small">{s.sha256.slice(0, 16)}…</td>
                    <td>{s.contentType}</td>
                    <td class="num">{formatBytes(s.sizeBytes)}</td>
                    <td>{s.label ?? <span class="muted">none</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {d.samples.length > 200 && (
              <p class="muted small">… and {d.samples.length - 200} more in the export.</p>
            )}
          </Card>
        </div>
      )}
    </Async>
  );
}

function DatasetRow({ d }: { d: Dataset }) {
  return (
    <tr>
      <td>
        <a href={href('datasets', d.id)}>{d.name}</a> <span class="mono muted small">{d.id}</span>
      </td>
      <td class="num">{d.sampleCount}</td>
      <td class="mono small">{filterText(d.filter)}</td>
      <td>
        <DeviceTags ids={d.provenance.devices} />
      </td>
      <td>
        {d.trainedVersions.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          <span class="tags">{d.trainedVersions.map(versionLink)}</span>
        )}
      </td>
      <td>{formatTime(d.createdAt)}</td>
      <td>
        <ExportLink dataset={d} />
      </td>
    </tr>
  );
}

/** Datasets: snapshots of labelled samples with their provenance, the versions trained on them, their export. */
export function DatasetsPage({ id }: { id: string | undefined }) {
  const list = useLive(() => (id ? Promise.resolve(null) : api.datasets()), [id]);
  return (
    <div class="page" data-testid="page-datasets">
      <h1>Datasets</h1>
      {id ? (
        <DatasetDetail id={id} />
      ) : (
        <Async resource={list} what="Loading datasets">
          {(data) =>
            !data || data.datasets.length === 0 ? (
              <Empty>
                No datasets yet: filter the <a href={href('samples')}>Samples</a> and export them as one.
              </Empty>
            ) : (
              <Card>
                <table class="table" data-testid="datasets-table">
                  <thead>
                    <tr>
                      <th>Dataset</th>
                      <th class="num">Samples</th>
                      <th>Filter</th>
                      <th>Devices</th>
                      <th>Trained versions</th>
                      <th>Created</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {data.datasets.map((d) => (
                      <DatasetRow key={d.id} d={d} />
                    ))}
                  </tbody>
                </table>
              </Card>
            )
          }
        </Async>
      )}
    </div>
  );
}
