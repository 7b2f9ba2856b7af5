import type { Dataset, SampleFilter } from '@edgefleet/shared/api';
import { useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { formatBytes } from '../format';
import { href } from '../router';

/** Saves a Blob as a file through a temporary object URL (the export needs the token, so no plain link). */
function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Downloads a dataset's tar (`GET /datasets/{id}/export`, with the token) as `<name>.tar`. */
export function ExportLink({ dataset }: { dataset: Pick<Dataset, 'id' | 'name'> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      saveBlob(
        await api.datasetExport(dataset.id),
        `${dataset.name.replace(/[^\w.-]+/g, '_') || dataset.id}.tar`,
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="link" disabled={busy} onClick={download} data-action="download-export">
        {busy ? 'downloading…' : 'download .tar'}
      </button>
      {error && (
        <span class="bad-text small" role="alert">
          {' '}
          export failed: {error}
        </span>
      )}
    </>
  );
}

/**
 * "Export as dataset": asks for a name, snapshots the samples the current filter matches (`POST /datasets`), then
 * shows the dataset with its download.
 */
export function ExportDataset({ filter }: { filter: () => SampleFilter }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState('');
  const [labelledOnly, setLabelledOnly] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<Dataset | null>(null);
  const open = () => {
    setError(null);
    setMade(null);
    dialog.current?.showModal();
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setMade(await api.createDataset({ name: name.trim(), filter: filter(), labelledOnly }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="btn info" onClick={open} data-action="export-dataset">
        Export as dataset
      </button>
      <dialog ref={dialog} class="confirm" data-testid="export-dialog">
        {made ? (
          <div data-testid="export-result">
            <h3>Dataset {made.name}</h3>
            <p>
              <a href={href('datasets', made.id)} class="mono">
                {made.id}
              </a>
              : {made.sampleCount} samples, {formatBytes(made.totalBytes)}
              {made.truncated > 0 && <span class="warn-text"> ({made.truncated} more left out)</span>}
            </p>
            <div class="dialog-actions">
              <ExportLink dataset={made} />
              <button type="button" class="btn muted" onClick={() => dialog.current?.close()}>
                Close
              </button>
            </div>
          </div>
        ) : (
          <form onSubmit={submit}>
            <h3>Export the filtered samples as a dataset</h3>
            <label>
              Dataset name
              <input
                name="dataset-name"
                value={name}
                maxLength={128}
                required
                placeholder="line 2 dark"
                onInput={(e) => setName((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="inline">
              <input
                type="checkbox"
                name="labelled-only"
                checked={labelledOnly}
                onChange={(e) => setLabelledOnly((e.target as HTMLInputElement).checked)}
              />{' '}
              labelled samples only
            </label>
            {error && <p class="form-error">{error}</p>}
            <div class="dialog-actions">
              <button type="button" class="btn muted" onClick={() => dialog.current?.close()}>
                Cancel
              </button>
              <button type="submit" class="btn info" disabled={busy || name.trim() === ''}>
                {busy ? 'Creating…' : 'Create dataset'}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}
