import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { href } from '../router';

/** A coloured pill for a status word (rollout status, gate status, online state, alert severity). */
export function Pill({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return <span class={`pill ${tone}`}>{children}</span>;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export const ROLLOUT_TONE: Record<string, Tone> = {
  scheduled: 'info',
  running: 'ok',
  paused: 'warn',
  completed: 'muted',
  rolled_back: 'bad',
  aborted: 'bad',
};

/** A horizontal progress bar; `share` in 0…1. */
export function ProgressBar({ share, tone = 'info', label }: { share: number; tone?: Tone; label?: string }) {
  const pct = Math.max(0, Math.min(1, share)) * 100;
  return (
    <div
      class="progress"
      role="progressbar"
      aria-valuenow={Math.round(pct)}
      aria-valuemin={0}
      aria-valuemax={100}
    >
      <div class={`progress-fill ${tone}`} style={{ width: `${pct}%` }} />
      {label && <span class="progress-label">{label}</span>}
    </div>
  );
}

/** A card: title, optional actions on the right, content. */
export function Card({
  title,
  actions,
  children,
  class: className = '',
  testId,
}: {
  title?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
  testId?: string;
}) {
  return (
    <section class={`card ${className}`} data-testid={testId}>
      {(title || actions) && (
        <header class="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div class="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

/** A big number with a caption. */
export function Stat({ label, value, tone }: { label: string; value: ComponentChildren; tone?: Tone }) {
  return (
    <div class={`stat ${tone ?? ''}`} data-testid={`stat-${label.toLowerCase()}`}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

/** Definition list of label/value pairs. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * A button that opens a confirm dialog asking for a reason, then runs `onConfirm(reason)`; shows the
 * error of a failed action inside the dialog.
 */
export function ConfirmButton({
  label,
  title,
  tone = 'info',
  disabled,
  onConfirm,
}: {
  label: string;
  title: string;
  tone?: Tone;
  disabled?: boolean;
  onConfirm: (reason: string) => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const open = () => {
    setReason('');
    setError(null);
    dialog.current?.showModal();
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
      dialog.current?.close();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={`btn ${tone}`}
        disabled={disabled}
        onClick={open}
        data-action={label.toLowerCase()}
      >
        {label}
      </button>
      <dialog ref={dialog} class="confirm">
        <form onSubmit={submit}>
          <h3>{title}</h3>
          <label>
            Reason (goes to the audit log)
            <input
              name="reason"
              value={reason}
              maxLength={500}
              required
              placeholder="why?"
              onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            />
          </label>
          {error && <p class="form-error">{error}</p>}
          <div class="dialog-actions">
            <button type="button" class="btn muted" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class={`btn ${tone}`} disabled={busy || reason.trim() === ''}>
              {busy ? 'Working…' : `Confirm ${label.toLowerCase()}`}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/** Devices as links (a dataset's provenance). */
export function DeviceTags({ ids }: { ids: string[] }) {
  if (ids.length === 0) return <span class="muted">none</span>;
  return (
    <span class="tags">
      {ids.map((id) => (
        <a key={id} class="tag link-tag" href={href('devices', id)}>
          {id}
        </a>
      ))}
    </span>
  );
}
