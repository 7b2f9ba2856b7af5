// The demo uses the runtime the way an app would: one createRuntime, then infer on images.
import { createRuntime, type Runtime, type RuntimeStatus } from '../src/index';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
for (const name of ['server', 'app', 'key', 'model'])
  $<HTMLInputElement>(name).value = params.get(name) ?? '';
if (!$<HTMLInputElement>('server').value) $<HTMLInputElement>('server').value = 'http://127.0.0.1:8080';

let runtime: Runtime | undefined;

function showStatus(status: RuntimeStatus): void {
  $('link').textContent = status.connected ? 'online (MQTT)' : 'offline';
  $('buffered').textContent = `${status.buffered} buffered, ${status.delivered} delivered`;
  if (status.overflow.droppedReports > 0)
    $('buffered').textContent += `, ${status.overflow.droppedReports} dropped`;
}

function showRuntime(rt: Runtime): void {
  $('version').textContent = rt.version;
  $('backend').textContent = `${rt.backend} (${rt.backendReason}; ${rt.info.threads} thread(s))`;
}

$<HTMLFormElement>('connect').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  await runtime?.close();
  $('progress').textContent = 'starting…';
  try {
    runtime = await createRuntime({
      server: String(form.get('server')),
      app: String(form.get('app')),
      key: String(form.get('key')),
      model: String(form.get('model')),
    });
  } catch (error) {
    $('progress').textContent = `failed: ${(error as Error).message}`;
    return;
  }
  const rt = runtime;
  $('progress').textContent = 'ready';
  rt.on('progress', (e) => {
    $('progress').textContent = e.cached
      ? 'model from cache'
      : `${Math.round((100 * e.loadedBytes) / e.totalBytes)} %`;
  });
  rt.on('version', () => showRuntime(rt));
  rt.on('status', showStatus);
  rt.on('error', (e) => {
    $('progress').textContent = `${e.kind}: ${e.message}`;
  });
  showRuntime(rt);
  showStatus(await rt.status());
  setInterval(() => void rt.status().then(showStatus), 2_000);
});

async function predict(file: File): Promise<void> {
  if (!runtime) {
    $('prediction').textContent = 'start the runtime first';
    return;
  }
  const bitmap = await createImageBitmap(file);
  const canvas = $<HTMLCanvasElement>('preview');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
  try {
    const result = await runtime.infer(bitmap);
    const scores = Array.from(result.output);
    const top = scores.indexOf(Math.max(...scores));
    $('prediction').textContent =
      `class ${top} (${(scores[top]! * 100).toFixed(1)} %) — [${scores.map((s) => s.toFixed(3)).join(', ')}]`;
    $('latency').textContent = `${result.latencyMs.toFixed(1)} ms`;
  } catch (error) {
    $('prediction').textContent = `${(error as Error).message}`;
  }
}

$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void predict(file);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void predict(file);
});
