import type { Sample } from '@edgefleet/shared/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
  nextUnlabelled,
  select,
} from './labelling';

const sha = (n: number) => n.toString(16).padStart(64, '0');
function sample(id: number, label: string | null = null, shaOf = id): Sample {
  return {
    id,
    sha256: sha(shaOf),
    contentType: 'image/png',
    sizeBytes: 100,
    width: 4,
    height: 4,
    clientId: 'st-1',
    deviceId: 'st-1',
    appId: null,
    deviceLabels: {},
    model: { name: 'cls', version: '1.0.0' },
    reasons: ['random'],
    top: [{ label: '0', confidence: 0.6 }],
    features: {},
    predictionId: null,
    capturedAt: 1,
    receivedAt: 2,
    label,
    labelledBy: label === null ? null : 'admin:t',
    labelledAt: label === null ? null : 3,
  };
}
const stored = (label: string | null) => ({ label, labelledBy: 'admin:t', labelledAt: 9 });
const labels = (s: Labelling) => s.samples.map((x) => x.label);

describe('keyboard labelling flow', () => {
  it('maps keys: j/k and arrows move, digits pick a class (0 the tenth), u clears, others do nothing', () => {
    const classes = ['0', '180', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'tenth'];
    expect(keyAction('j', classes)).toEqual({ kind: 'move', by: 1 });
    expect(keyAction('ArrowDown', classes)).toEqual({ kind: 'move', by: 1 });
    expect(keyAction('k', classes)).toEqual({ kind: 'move', by: -1 });
    expect(keyAction('ArrowLeft', classes)).toEqual({ kind: 'move', by: -1 });
    expect(keyAction('1', classes)).toEqual({ kind: 'label', label: '0' });
    expect(keyAction('2', classes)).toEqual({ kind: 'label', label: '180' });
    expect(keyAction('0', classes)).toEqual({ kind: 'label', label: 'tenth' });
    expect(keyAction('u', classes)).toEqual({ kind: 'label', label: null });
    expect(keyAction('3', ['0', '180'])).toBeNull();
    expect(keyAction('x', classes)).toBeNull();
    expect(keyAction('J', classes)).toBeNull();
  });

  it('moves within the list and selects the first capture of a fresh page', () => {
    let s = loaded(EMPTY_LABELLING, [sample(1), sample(2), sample(3)], false);
    expect(s.selected).toBe(0);
    s = move(move(move(s, 1), 1), 1);
    expect(s.selected).toBe(2);
    s = move(move(move(s, -1), -1), -1);
    expect(s.selected).toBe(0);
    expect(select(EMPTY_LABELLING, 3).selected).toBe(-1);
    // The next page is appended (a capture already there is not repeated) and the selection stays put.
    s = loaded(select(s, 2), [sample(3), sample(4)], true);
    expect(s.samples.map((x) => x.id)).toEqual([1, 2, 3, 4]);
    expect(s.selected).toBe(2);
  });

  it('labels at once and selects the next unlabelled sample, wrapping around; clearing stays', () => {
    let s = loaded(EMPTY_LABELLING, [sample(1), sample(2, 'x'), sample(3), sample(4)], false);
    s = select(s, 2);
    let r = labelSelected(s, '180');
    expect(r.request).toEqual({ sha256: sha(3), label: '180', seq: 1 });
    expect(labels(r.state)).toEqual([null, 'x', '180', null]);
    expect(r.state.selected).toBe(3);
    r = labelSelected(r.state, '0');
    expect(r.state.selected).toBe(0); // wrapped
    r = labelSelected(r.state, '0');
    expect(r.state.selected).toBe(0); // none left: stays
    r = labelSelected(select(r.state, 1), null);
    expect(r.state.selected).toBe(1);
    expect(r.request).toEqual({ sha256: sha(2), label: null, seq: 4 });
    expect(labelSelected(EMPTY_LABELLING, 'a').request).toBeNull();
  });

  it('labels every capture of the same image', () => {
    const s = loaded(EMPTY_LABELLING, [sample(1, null, 7), sample(2), sample(3, null, 7)], false);
    const { state } = labelSelected(s, 'a');
    expect(labels(state)).toEqual(['a', null, 'a']);
    expect(state.selected).toBe(1);
  });

  it('keeps the server answer, and rolls a refused label back with the error', () => {
    const s = loaded(EMPTY_LABELLING, [sample(1, 'old'), sample(2)], false);
    const sent = labelSelected(s, 'new');
    const ok = labelSaved(sent.state, sha(1), 1, stored('new'));
    expect(ok.samples[0]).toMatchObject(stored('new'));
    expect(ok.pending).toEqual({});
    const again = labelSelected(select(ok, 0), 'bad');
    const failed = labelFailed(again.state, sha(1), 2, 'HTTP 400');
    expect(failed.samples[0]).toMatchObject(stored('new'));
    expect(failed.pending).toEqual({});
    expect(failed.error).toContain('HTTP 400');
    // The next label clears the error.
    expect(labelSelected(failed, 'z').state.error).toBeNull();
  });

  it('never lets an older answer overwrite a newer label in flight', () => {
    const s = loaded(EMPTY_LABELLING, [sample(1, 'old')], false);
    const a = labelSelected(s, 'a');
    const b = labelSelected(a.state, 'b');
    // a fails after b was sent: b stays on screen; then b fails: the last stored label ('old') comes back.
    const aFailed = labelFailed(b.state, sha(1), 1, 'boom');
    expect(labels(aFailed)).toEqual(['b']);
    expect(labels(labelFailed(aFailed, sha(1), 2, 'boom'))).toEqual(['old']);
    // a stored, then b fails: a's stored label comes back.
    const aSaved = labelSaved(b.state, sha(1), 1, stored('a'));
    expect(labels(aSaved)).toEqual(['b']);
    expect(labels(labelFailed(aSaved, sha(1), 2, 'boom'))).toEqual(['a']);
    // A reload while b is in flight keeps b on screen.
    expect(labels(loaded(b.state, [sample(1, 'old')], false))).toEqual(['b']);
  });

  it('shows the newest label until it is answered, then the label the server stored last, in any answer order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', null), fc.boolean()), { minLength: 1, maxLength: 6 }),
        fc.infiniteStream(fc.nat()),
        (sends, picks) => {
          let s = loaded(EMPTY_LABELLING, [sample(1, 'orig')], false);
          const inFlight: { seq: number; label: string | null; ok: boolean }[] = [];
          for (const [label, ok] of sends) {
            const r = labelSelected(select(s, 0), label);
            s = r.state;
            inFlight.push({ seq: r.request!.seq, label, ok });
          }
          // The server applies requests in the order they are answered (any order).
          let serverLabel: string | null = 'orig';
          const it = picks[Symbol.iterator]();
          const newest = inFlight[inFlight.length - 1]!;
          while (inFlight.length > 0) {
            // Until the newest label is answered, the screen shows it.
            if (inFlight.includes(newest)) expect(s.samples[0]!.label).toBe(newest.label);
            const [req] = inFlight.splice(it.next().value % inFlight.length, 1);
            if (req!.ok) {
              serverLabel = req!.label;
              s = labelSaved(s, sha(1), req!.seq, stored(req!.label));
            } else s = labelFailed(s, sha(1), req!.seq, 'refused');
          }
          expect(s.pending).toEqual({});
          expect(s.samples[0]!.label).toBe(serverLabel);
        },
      ),
    );
  });

  it('offers the model classes first, then other labels and predictions seen, sorted', () => {
    const samples = [
      sample(1, 'zz'),
      { ...sample(2), top: [{ label: 'b', confidence: 1 }] },
      sample(3, '180'),
    ];
    expect(labelChoices(['180', '0'], samples)).toEqual(['180', '0', 'b', 'zz']);
    expect(labelChoices([], [])).toEqual([]);
  });

  it('finds no unlabelled sample in an empty or fully labelled list', () => {
    expect(nextUnlabelled([], 0)).toBe(-1);
    expect(nextUnlabelled([sample(1, 'a')], 0)).toBe(-1);
  });
});
