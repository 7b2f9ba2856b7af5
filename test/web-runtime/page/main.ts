// The test page's script: the runtime as an app bundles it, exposed on `window.ef` for Playwright.
import { createRuntime, type Runtime, RuntimeError, type RuntimeOptions } from '@edgefleet/web-runtime';

type PageOptions = Omit<RuntimeOptions, 'createWorker' | 'ortBaseUrl'>;

const api = {
  RuntimeError,
  runtime: undefined as Runtime | undefined,
  /** Starts the runtime with this page's worker and ORT files; keeps it on `ef.runtime`. */
  async start(options: PageOptions): Promise<Runtime> {
    api.runtime = await createRuntime({
      ...options,
      createWorker: () => new Worker('/worker.js', { type: 'module' }),
      ortBaseUrl: `${location.origin}/ort/`,
    });
    return api.runtime;
  },
};

declare global {
  interface Window {
    ef: typeof api;
  }
}
window.ef = api;
