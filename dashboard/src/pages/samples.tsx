import type { Sample } from '@edgefleet/shared/api';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { ErrorBox, Loading } from '../components/states';
import { Thumb } from '../components/thumb';
import { Card, Pill } from '../components/widgets';
import { formatAgo } from '../format';
import {
  filterParamsOf,
  filterQueryOf,
  listQueryOf,
  type SampleFilterParams,
  sampleFilterOf,
} from '../samples/filter';
import {
  EMPTY_LABELLING,
  keyAction,
  type Labelling,
  labelChoices,
  labelFailed,
  labelSaved,
  labelSelected,
  loaded,
  move,
  select,
} from '../samples/labelling';
import { ExportDataset } from './dataset-export';
import { SampleDetail } from './sample-detail';
import { SampleFilters } from './sample-filters';

const PAGE_SIZE = 48;

/** Keys typed into a field or a dialog are not labelling keys. */
function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (event.ctrlKey || event.metaKey || event.altKey) return true;
  if (document.querySelector('dialog[open]')) return true;
  return !!target && (['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName) || target.isContentEditable);
}

function Tile({ sample, selected, onSelect }: { sample: Sample; selected: boolean; onSelect: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (selected) ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [selected]);
  return (
    <button
      type="button"
      ref={ref}
      class={`tile ${selected ? 'selected' : ''}`}
      onClick={onSelect}
      data-sha={sample.sha256}
      data-testid="sample-tile"
      aria-pressed={selected}
    >
      <Thumb sha256={sample.sha256} alt={`sample ${sample.sha256.slice(0, 12)}`} />
      <span class="tile-caption">
        <span class="mono small" title="predicted class">
          → {sample.top[0]?.label ?? '?'}
        </span>
        {sample.label === null ? (
          <Pill tone="muted">unlabelled</Pill>
        ) : (
          <Pill tone={sample.labelledBy ? 'ok' : 'warn'}>{sample.label}</Pill>
        )}
      </span>
      <span class="tile-caption muted small">
        <span>{sample.deviceId ?? sample.appId}</span>
        <span>{formatAgo(sample.capturedAt)}</span>
      </span>
    </button>
  );
}

/** The grid and the labelling flow over the samples the filter matches, a page at a time. */
function SampleBrowser({ p }: { p: SampleFilterParams }) {
  const [state, setState] = useState<Labelling>(EMPTY_LABELLING);
  const current = useRef(state);
  const [page, setPage] = useState<{ loading: boolean; error: Error | null; next: string | null }>({
    loading: true,
    error: null,
    next: null,
  });
  // The range is read against the time the filter was applied, so pages do not drift as time passes.
  const [nowMs] = useState(() => Date.now());
  const update = (next: Labelling) => {
    current.current = next;
    setState(next);
  };

  const loadPage = (cursor: string | null) => {
    setPage((s) => ({ ...s, loading: true, error: null }));
    api.samples(listQueryOf(p, nowMs, { cursor, limit: PAGE_SIZE })).then(
      (res) => {
        update(loaded(current.current, res.samples, cursor !== null));
        setPage({ loading: false, error: null, next: res.nextCursor });
      },
      (error: Error) => setPage((s) => ({ ...s, loading: false, error })),
    );
  };
  useEffect(() => loadPage(null), []);

  const selected = state.samples[state.selected];
  const spec = useLive(
    () => (selected ? api.spec(selected.model.name, selected.model.version) : Promise.resolve(null)),
    [selected?.model.name, selected?.model.version],
  );
  const choices = labelChoices(spec.data?.classes ?? [], state.samples);
  const choicesRef = useRef(choices);
  choicesRef.current = choices;

  const label = (value: string | null) => {
    const { state: next, request } = labelSelected(current.current, value);
    update(next);
    if (!request) return;
    api.labelSample(request.sha256, request.label).then(
      (stored) => update(labelSaved(current.current, request.sha256, request.seq, stored)),
      (error: Error) => update(labelFailed(current.current, request.sha256, request.seq, error.message)),
    );
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event)) return;
      const action = keyAction(event.key, choicesRef.current);
      if (!action) return;
      event.preventDefault();
      if (action.kind === 'move') update(move(current.current, action.by));
      else label(action.label);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const unlabelled = state.samples.filter((s) => s.label === null).length;
  return (
    <>
      {state.error && (
        <div class="state error" role="alert" data-testid="label-error">
          <strong>{state.error}</strong>{' '}
          <button type="button" class="link" onClick={() => update({ ...current.current, error: null })}>
            Dismiss
          </button>
        </div>
      )}
      <div class="samples-layout">
        <Card
          title={`Samples (${state.samples.length}${page.next ? '+' : ''}, ${unlabelled} unlabelled)`}
          actions={<ExportDataset filter={() => sampleFilterOf(p, nowMs)} />}
          testId="sample-grid"
        >
          <p class="muted small">
            <kbd>j</kbd>/<kbd>k</kbd> or arrows move, <kbd>1</kbd>…<kbd>9</kbd> <kbd>0</kbd> label with a
            class, <kbd>u</kbd> clears; after a label the next unlabelled sample is selected.
          </p>
          {page.error && <ErrorBox error={page.error} retry={() => loadPage(null)} />}
          {state.samples.length === 0 && !page.loading && !page.error && (
            <div class="state empty">No samples match this filter.</div>
          )}
          <div class="tile-grid">
            {state.samples.map((s, i) => (
              <Tile
                key={s.id}
                sample={s}
                selected={i === state.selected}
                onSelect={() => update(select(current.current, i))}
              />
            ))}
          </div>
          {page.loading ? (
            <Loading what="Loading samples" />
          ) : (
            page.next && (
              <button type="button" class="btn muted" onClick={() => loadPage(page.next)}>
                Load more
              </button>
            )
          )}
        </Card>
        {selected ? (
          <SampleDetail
            sample={selected}
            choices={choices}
            pending={selected.sha256 in state.pending}
            onLabel={label}
          />
        ) : (
          <Card title="Sample">
            <p class="muted">Select a sample.</p>
          </Card>
        )}
      </div>
    </>
  );
}

/** Samples: captured inputs filtered by model, version, reason, class, label, device, slice and time; labelling. */
export function SamplesPage({ query }: { query: URLSearchParams }) {
  const p = filterParamsOf(query);
  const key = JSON.stringify(filterQueryOf(p));
  return (
    <div class="page" data-testid="page-samples">
      <h1>Samples</h1>
      <SampleFilters key={key} p={p} />
      <SampleBrowser key={key} p={p} />
    </div>
  );
}
