import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { href, navigate } from '../router';

/** Time ranges the monitoring page offers. */
export const RANGES: [string, number][] = [
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', 24 * 3_600_000],
  ['7d', 7 * 24 * 3_600_000],
];

/** What the monitoring page shows, kept in the URL hash. */
export interface Params {
  model: string;
  version: string;
  compare: string;
  range: string;
  selector: string;
  role: 'active' | 'shadow';
}

export function paramsOf(query: URLSearchParams): Params {
  return {
    model: query.get('model') ?? '',
    version: query.get('version') ?? '',
    compare: query.get('compare') ?? '',
    range: query.get('range') ?? '1h',
    selector: query.get('selector') ?? '',
    role: query.get('role') === 'shadow' ? 'shadow' : 'active',
  };
}

function go(p: Params): void {
  navigate(
    href('monitoring', {
      ...p,
      role: p.role === 'active' ? undefined : p.role,
      range: p.range === '1h' ? undefined : p.range,
    }),
  );
}
/** The pickers: model, version, compared version, range, role and the label slice. */
export function Controls({ p }: { p: Params }) {
  const models = useLive(() => api.models(), []);
  const model = p.model || models.data?.models[0]?.name || '';
  const versions = useLive(() => (model ? api.versions(model) : Promise.resolve({ versions: [] })), [model]);
  const [selector, setSelector] = useState(p.selector);
  const list = versions.data?.versions.map((v) => v.version).reverse() ?? [];
  const set = (patch: Partial<Params>) => go({ ...p, model, ...patch });
  return (
    <form
      class="filters monitor-controls"
      onSubmit={(e) => {
        e.preventDefault();
        set({ selector: selector.trim() });
      }}
    >
      <label>
        Model
        <select
          name="model"
          value={model}
          onChange={(e) =>
            go({ ...p, model: (e.target as HTMLSelectElement).value, version: '', compare: '' })
          }
        >
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
          onChange={(e) => set({ version: (e.target as HTMLSelectElement).value })}
        >
          {list.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </label>
      <label>
        Compare with
        <select
          name="compare"
          value={p.compare}
          onChange={(e) => set({ compare: (e.target as HTMLSelectElement).value })}
        >
          <option value="">—</option>
          {list.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </label>
      <label>
        Range
        <select
          name="range"
          value={p.range}
          onChange={(e) => set({ range: (e.target as HTMLSelectElement).value })}
        >
          {RANGES.map(([k]) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
      <label>
        Role
        <select
          name="role"
          value={p.role}
          onChange={(e) => set({ role: (e.target as HTMLSelectElement).value as Params['role'] })}
        >
          <option value="active">active</option>
          <option value="shadow">shadow</option>
        </select>
      </label>
      <label class="grow">
        Slice by labels
        <input
          name="selector"
          value={selector}
          placeholder="site=plant-a,line in (1,2)"
          onInput={(e) => setSelector((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" class="btn muted small">
        Apply
      </button>
    </form>
  );
}

/** The model version a page shows: the one in the address, else the first model's latest version. */
export function usePickedVersion(model: string, version: string) {
  return useLive(async () => {
    if (model && version) return { model, version };
    const { models } = await api.models();
    const name = model || models[0]?.name;
    if (!name) return null;
    const { versions } = await api.versions(name);
    const last = versions[versions.length - 1];
    return last ? { model: name, version: version || last.version } : null;
  }, [model, version]);
}
