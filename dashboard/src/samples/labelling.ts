import type { Sample } from '@edgefleet/shared/api';

/** A sample's label as stored: the true class (null: none), who gave it and when. */
export type LabelState = Pick<Sample, 'label' | 'labelledBy' | 'labelledAt'>;

/**
 * The labels of one sample sent and not all answered. While the newest is unanswered the screen shows it; once it
 * is answered the screen shows `confirmed`: the label of the last stored answer (or the label before any was sent).
 */
interface PendingLabel {
  newest: number;
  newestAnswered: boolean;
  inFlight: number;
  confirmed: LabelState;
}

/**
 * The keyboard labelling flow over the loaded captures: which one is selected, labels set optimistically while
 * their `PUT` runs, and the error of the last one the server refused (its label rolled back).
 */
export interface Labelling {
  samples: Sample[];
  /** Index into `samples`; -1: none. */
  selected: number;
  pending: Record<string, PendingLabel>;
  /** Sequence of the last label sent (a later answer for an older one never overwrites a newer label). */
  seq: number;
  error: string | null;
}

/** A label to send: `PUT /samples/{sha256}/label` with `label`, answered with `labelSaved`/`labelFailed` and `seq`. */
export interface LabelRequest {
  sha256: string;
  label: string | null;
  seq: number;
}

export const EMPTY_LABELLING: Labelling = { samples: [], selected: -1, pending: {}, seq: 0, error: null };

/** A first page (`append` false) or the next one; the selection stays on the same capture where it can. */
export function loaded(state: Labelling, page: Sample[], append: boolean): Labelling {
  const keep = state.samples[state.selected]?.id;
  const fresh = page.map((s) => {
    // A label still in flight wins over the page's older view of it.
    const mine = state.pending[s.sha256] ? state.samples.find((x) => x.sha256 === s.sha256) : undefined;
    return mine ? { ...s, label: mine.label, labelledBy: mine.labelledBy, labelledAt: mine.labelledAt } : s;
  });
  const samples = append
    ? [...state.samples, ...fresh.filter((s) => !state.samples.some((x) => x.id === s.id))]
    : fresh;
  const index = keep === undefined ? -1 : samples.findIndex((s) => s.id === keep);
  return { ...state, samples, selected: index >= 0 ? index : samples.length > 0 ? 0 : -1 };
}

export function select(state: Labelling, index: number): Labelling {
  if (state.samples.length === 0) return { ...state, selected: -1 };
  return { ...state, selected: Math.max(0, Math.min(state.samples.length - 1, index)) };
}

/** Moves the selection by `by` (clamped to the list). */
export function move(state: Labelling, by: number): Labelling {
  return select(state, state.selected < 0 ? 0 : state.selected + by);
}

/** The first unlabelled capture after `from` (wrapping around), or -1 when every one is labelled. */
export function nextUnlabelled(samples: Sample[], from: number): number {
  for (let step = 1; step <= samples.length; step++) {
    const i = (from + step) % samples.length;
    if (samples[i]!.label === null) return i;
  }
  return -1;
}

const withLabel = (samples: Sample[], sha256: string, state: LabelState) =>
  samples.map((s) => (s.sha256 === sha256 ? { ...s, ...state } : s));

/**
 * Labels the selected sample (every capture of its sha256) at once, and selects the next unlabelled one (a
 * cleared label, `null`, keeps the selection). Returns the request to send, or null when nothing is selected.
 */
export function labelSelected(
  state: Labelling,
  label: string | null,
): { state: Labelling; request: LabelRequest | null } {
  const sample = state.samples[state.selected];
  if (!sample) return { state, request: null };
  const seq = state.seq + 1;
  const before = state.pending[sample.sha256];
  const confirmed = before?.confirmed ?? {
    label: sample.label,
    labelledBy: sample.labelledBy,
    labelledAt: sample.labelledAt,
  };
  const samples = withLabel(state.samples, sample.sha256, { label, labelledBy: null, labelledAt: null });
  let selected = state.selected;
  if (label !== null) {
    const next = nextUnlabelled(samples, state.selected);
    if (next >= 0) selected = next;
  }
  const pending = { newest: seq, newestAnswered: false, inFlight: (before?.inFlight ?? 0) + 1, confirmed };
  return {
    state: { samples, selected, seq, error: null, pending: { ...state.pending, [sample.sha256]: pending } },
    request: { sha256: sample.sha256, label, seq },
  };
}

/** One answer of label `seq`: `stored` when the server stored it, null when it refused it. */
function answered(state: Labelling, sha256: string, seq: number, stored: LabelState | null): Labelling {
  const before = state.pending[sha256];
  if (!before) return state;
  const now: PendingLabel = {
    newest: before.newest,
    newestAnswered: before.newestAnswered || seq === before.newest,
    inFlight: before.inFlight - 1,
    confirmed: stored ?? before.confirmed,
  };
  const { [sha256]: _, ...others } = state.pending;
  const pending = now.inFlight > 0 ? { ...others, [sha256]: now } : others;
  const samples = now.newestAnswered ? withLabel(state.samples, sha256, now.confirmed) : state.samples;
  return { ...state, pending, samples };
}

/** The server stored label `seq` (its answer is what it holds now). */
export function labelSaved(state: Labelling, sha256: string, seq: number, stored: LabelState): Labelling {
  return answered(state, sha256, seq, stored);
}

/** The server refused label `seq`: the error is shown, and the last stored label comes back once no newer one is on its way. */
export function labelFailed(state: Labelling, sha256: string, seq: number, message: string): Labelling {
  return {
    ...answered(state, sha256, seq, null),
    error: `Label of ${sha256.slice(0, 12)}… not saved: ${message}`,
  };
}

/** What a key press does in the flow: move, label with a class (digits 1–9, 0 = tenth), or clear (`u`). */
export type KeyAction = { kind: 'move'; by: 1 | -1 } | { kind: 'label'; label: string | null };

export function keyAction(key: string, classes: readonly string[]): KeyAction | null {
  if (key === 'j' || key === 'ArrowRight' || key === 'ArrowDown') return { kind: 'move', by: 1 };
  if (key === 'k' || key === 'ArrowLeft' || key === 'ArrowUp') return { kind: 'move', by: -1 };
  if (key === 'u') return { kind: 'label', label: null };
  if (/^[0-9]$/.test(key)) {
    const label = classes[key === '0' ? 9 : Number(key) - 1];
    return label === undefined ? null : { kind: 'label', label };
  }
  return null;
}

/**
 * The classes the picker offers: the model's own (its baseline's classes, in order), then every other label or
 * predicted class seen on the loaded captures, sorted.
 */
export function labelChoices(modelClasses: readonly string[], samples: readonly Sample[]): string[] {
  const seen = new Set(modelClasses);
  const extra = new Set<string>();
  for (const s of samples) {
    if (s.label !== null && !seen.has(s.label)) extra.add(s.label);
    for (const t of s.top) if (!seen.has(t.label)) extra.add(t.label);
  }
  return [...modelClasses, ...[...extra].sort()];
}
