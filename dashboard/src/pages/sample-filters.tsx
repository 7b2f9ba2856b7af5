import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { href, navigate } from '../router';
import {
  CAPTURE_REASONS,
  filterQueryOf,
  NO_FILTER,
  SAMPLE_RANGES,
  type SampleFilterParams,
} from '../samples/filter';

const TEXT_INPUTS = [
  ['predicted', 'Predicted', 'class'],
  ['label', 'Label', 'true class'],
  ['device', 'Device', 'device id'],
  ['slice', 'Slice by labels', 'line=2'],
] as const;

function go(p: SampleFilterParams): void {
  navigate(href('samples', filterQueryOf(p)));
}

/** The Samples page's filter bar: pickers apply at once, the text fields on Apply; all of it lives in the URL. */
export function SampleFilters({ p }: { p: SampleFilterParams }) {
  const models = useLive(() => api.models(), []);
  const versions = useLive(
    () => (p.model ? api.versions(p.model) : Promise.resolve({ versions: [] })),
    [p.model],
  );
  const [text, setText] = useState(() => ({
    predicted: p.predicted,
    label: p.label,
    device: p.device,
    slice: p.slice,
  }));
  const set = (patch: Partial<SampleFilterParams>) => go({ ...p, ...text, ...patch });
  const pick = (key: keyof SampleFilterParams) => (e: Event) =>
    set({ [key]: (e.target as HTMLSelectElement).value });
  return (
    <form
      class="filters monitor-controls"
      data-testid="sample-filters"
      onSubmit={(e) => {
        e.preventDefault();
        set({});
      }}
    >
      <label>
        Model
        <select
          name="model"
          value={p.model}
          onChange={(e) => go({ ...p, ...text, model: (e.target as HTMLSelectElement).value, version: '' })}
        >
          <option value="">any</option>
          {(models.data?.models ?? []).map((m) => (
            <option key={m.name}>{m.name}</option>
          ))}
        </select>
      </label>
      <label>
        Version
        <select name="version" value={p.version} disabled={!p.model} onChange={pick('version')}>
          <option value="">any</option>
          {[...(versions.data?.versions ?? [])].reverse().map((v) => (
            <option key={v.version}>{v.version}</option>
          ))}
        </select>
      </label>
      <label>
        Reason
        <select name="reason" value={p.reason} onChange={pick('reason')}>
          <option value="">any</option>
          {CAPTURE_REASONS.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      <label>
        Labelled
        <select name="labelled" value={p.labelled} onChange={pick('labelled')}>
          <option value="">all</option>
          <option value="false">unlabelled</option>
          <option value="true">labelled</option>
        </select>
      </label>
      <label>
        Captured
        <select name="range" value={p.range} onChange={pick('range')}>
          <option value="">any time</option>
          {SAMPLE_RANGES.map(([k]) => (
            <option key={k} value={k}>
              last {k}
            </option>
          ))}
        </select>
      </label>
      {TEXT_INPUTS.map(([key, caption, placeholder]) => (
        <label key={key} class={key === 'slice' ? 'grow' : ''}>
          {caption}
          <input
            name={key}
            value={text[key]}
            placeholder={placeholder}
            onInput={(e) => setText((t) => ({ ...t, [key]: (e.target as HTMLInputElement).value }))}
          />
        </label>
      ))}
      <button type="submit" class="btn muted small">
        Apply
      </button>
      <a class="small" href={href('samples')} onClick={() => setText({ ...NO_FILTER })}>
        clear
      </a>
    </form>
  );
}
