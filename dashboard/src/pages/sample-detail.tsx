import type { Sample } from '@edgefleet/shared/api';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { Async } from '../components/states';
import { Thumb } from '../components/thumb';
import { Card, Facts, Pill } from '../components/widgets';
import { formatBytes, formatNumber, formatPercent, formatTime } from '../format';
import { href } from '../router';

/** The class picker: one button per class (its digit key shown), a field for any other label, and clear (u). */
export function ClassPicker({
  choices,
  current,
  busy,
  onLabel,
}: {
  choices: string[];
  current: string | null;
  busy: boolean;
  onLabel: (label: string | null) => void;
}) {
  const [other, setOther] = useState('');
  return (
    <div class="class-picker" data-testid="class-picker">
      <div class="tags">
        {choices.map((c, i) => (
          <button
            type="button"
            key={c}
            class={`btn small ${c === current ? 'info' : 'muted'}`}
            onClick={() => onLabel(c)}
            title={i < 10 ? `key ${(i + 1) % 10}` : undefined}
          >
            {i < 10 && <kbd>{(i + 1) % 10}</kbd>} {c}
          </button>
        ))}
        <button
          type="button"
          class="btn small muted"
          disabled={current === null}
          onClick={() => onLabel(null)}
        >
          <kbd>u</kbd> clear
        </button>
        {busy && <span class="muted small">saving…</span>}
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (other.trim()) onLabel(other.trim());
          setOther('');
        }}
      >
        <label>
          Other label
          <input
            name="other-label"
            value={other}
            placeholder="a new class"
            onInput={(e) => setOther((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="btn small muted" disabled={other.trim() === ''}>
          Set
        </button>
      </form>
    </div>
  );
}

function Capture({ c }: { c: Sample }) {
  return (
    <div class="capture" data-testid="capture">
      <Facts
        rows={[
          [
            'Captured by',
            c.deviceId ? <a href={href('devices', c.deviceId)}>{c.deviceId}</a> : `app ${c.appId ?? '?'}`,
          ],
          ['Model', <a href={href('models', c.model.name)}>{`${c.model.name}@${c.model.version}`}</a>],
          [
            'Reasons',
            <span class="tags">
              {c.reasons.map((r) => (
                <Pill key={r} tone="info">
                  {r}
                </Pill>
              ))}
            </span>,
          ],
          [
            'Top classes',
            <span class="mono">
              {c.top.map((t) => `${t.label} ${formatPercent(t.confidence)}`).join(' · ') || '—'}
            </span>,
          ],
          [
            'Features',
            <span class="mono small">
              {Object.entries(c.features)
                .map(([k, v]) => `${k}=${formatNumber(v)}`)
                .join(', ') || '—'}
            </span>,
          ],
          [
            'Device labels',
            <span class="mono small">
              {Object.entries(c.deviceLabels)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ') || '—'}
            </span>,
          ],
          ['Captured', formatTime(c.capturedAt)],
        ]}
      />
    </div>
  );
}

/** The selected sample: its image, label, every capture of it (device, version, reasons, top classes, features). */
export function SampleDetail({
  sample,
  choices,
  pending,
  onLabel,
}: {
  sample: Sample;
  choices: string[];
  pending: boolean;
  onLabel: (label: string | null) => void;
}) {
  // Reloaded when a label is stored (its time changes), so the label history shows it.
  const captures = useLive(() => api.sample(sample.sha256), [sample.sha256, sample.labelledAt]);
  return (
    <Card
      title={<span class="mono small">{sample.sha256.slice(0, 16)}…</span>}
      class="sample-detail"
      testId="sample-detail"
    >
      <Thumb key={sample.sha256} sha256={sample.sha256} alt={`sample ${sample.sha256.slice(0, 12)}`} />
      <p data-testid="sample-label">
        Label:{' '}
        {sample.label === null ? (
          <Pill tone="muted">none</Pill>
        ) : (
          <Pill tone={pending ? 'warn' : 'ok'}>{sample.label}</Pill>
        )}{' '}
        {sample.labelledBy && (
          <span class="muted small">
            by {sample.labelledBy} {formatTime(sample.labelledAt)}
          </span>
        )}
      </p>
      <ClassPicker choices={choices} current={sample.label} busy={pending} onLabel={onLabel} />
      <p class="muted small">
        {sample.contentType}, {formatBytes(sample.sizeBytes)}
        {sample.width !== null && sample.height !== null ? `, ${sample.width}×${sample.height}` : ''}
      </p>
      <Async resource={captures} what="Loading the captures">
        {({ captures: list, labelHistory }) => (
          <>
            <h3>Captures ({list.length})</h3>
            {list.map((c) => (
              <Capture key={c.id} c={c} />
            ))}
            {labelHistory.length > 0 && (
              <>
                <h3>Label history</h3>
                <ul class="plain small" data-testid="label-history">
                  {labelHistory.map((h) => (
                    <li key={`${h.at}-${h.actor}-${h.label}`}>
                      {formatTime(h.at)} {h.actor}: {h.previous ?? 'none'} →{' '}
                      <strong>{h.label ?? 'none'}</strong>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </Async>
    </Card>
  );
}
