import type {
  AlertStatus,
  ApiRoutes,
  CallInput,
  CallOutput,
  DatasetCreate,
  RolloutAction,
  RolloutCreateInput,
  RolloutPlanRequestInput,
  TimeseriesQueryInput,
} from '@edgefleet/shared/api';
import { ApiClient, ApiError, parseErrorBody } from '@edgefleet/shared/api/client';
import { getToken, setToken } from './session';

/** The one place the dashboard talks to the fleet server: the shared typed client, errors as {@link ApiError}. */

export { ApiError };

export const API_BASE = '/api/v1';

const client = new ApiClient({ baseUrl: '', token: getToken });

function failed(error: unknown): never {
  if (error instanceof ApiError && error.status === 401) {
    // The token is wrong or was revoked: back to the login page.
    setToken(null);
    throw new ApiError(401, 'unauthorized', 'not logged in, or the admin token is no longer valid');
  }
  if (error instanceof ApiError && error.status === 0) {
    throw new ApiError(0, 'network', `the server cannot be reached (${error.message})`);
  }
  throw error;
}

function call<K extends keyof ApiRoutes>(
  key: K,
  input: CallInput<ApiRoutes[K]>,
  signal?: AbortSignal,
): Promise<CallOutput<ApiRoutes[K]>> {
  return client.call(key, input, signal ? { signal } : {}).catch(failed);
}

/**
 * A binary answer (sample content, dataset tar) as a Blob: fetched with the token in a header, since an
 * `<img src>` or a plain link could not carry it.
 */
async function blob<K extends keyof ApiRoutes>(
  key: K,
  input: CallInput<ApiRoutes[K]>,
  signal?: AbortSignal,
): Promise<Blob> {
  try {
    const res = await client.send(key, input, signal ? { signal } : {});
    if (res.ok) return await res.blob();
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    throw ApiError.of(res.status, parseErrorBody(body), `the server answered HTTP ${res.status}`);
  } catch (error) {
    return failed(error);
  }
}

/** Checks a token without storing it (login). */
export async function checkToken(token: string): Promise<void> {
  try {
    await new ApiClient({ baseUrl: '', token }).call('GET /api/v1/models', {});
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401 || error.status === 403) {
      throw new ApiError(error.status, 'unauthorized', 'this is not a valid admin token');
    }
    if (error.status === 0)
      throw new ApiError(0, 'network', `the server cannot be reached (${error.message})`);
    throw new ApiError(error.status, 'http_error', `the server answered HTTP ${error.status}`);
  }
}

/** Immutable answers (a version's spec, baseline, artifact metadata) are fetched once per page load. */
const immutable = new Map<string, Promise<unknown>>();
function once<T>(key: string, load: () => Promise<T>): Promise<T> {
  let pending = immutable.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = load();
    immutable.set(key, pending);
    pending.catch(() => immutable.delete(key));
  }
  return pending;
}

const version = (name: string, version: string) => ({ params: { name, version } });

export const api = {
  overview: (signal?: AbortSignal) => call('GET /api/v1/fleet/overview', {}, signal),
  devices: (query: { selector?: string; online?: 'true' | 'false'; limit?: number; offset?: number }) =>
    call('GET /api/v1/devices', { query }),
  device: (id: string) => call('GET /api/v1/devices/{id}', { params: { id } }),
  deviceReports: (id: string, limit = 20) =>
    call('GET /api/v1/devices/{id}/reports', { params: { id }, query: { limit } }),
  models: () => call('GET /api/v1/models', {}),
  versions: (name: string) => call('GET /api/v1/models/{name}/versions', { params: { name } }),
  spec: (name: string, v: string) =>
    once(`spec:${name}@${v}`, () =>
      call('GET /api/v1/models/{name}/versions/{version}/spec', version(name, v)),
    ),
  baseline: (name: string, v: string) =>
    once(`baseline:${name}@${v}`, () =>
      call('GET /api/v1/models/{name}/versions/{version}/baseline', version(name, v)),
    ),
  timeseries: (name: string, v: string, query: TimeseriesQueryInput, signal?: AbortSignal) =>
    call('GET /api/v1/models/{name}/versions/{version}/timeseries', { ...version(name, v), query }, signal),
  artifactMeta: (sha256: string) =>
    once(`meta:${sha256}`, () => call('GET /api/v1/artifacts/{sha256}/meta', { params: { sha256 } })),
  metrics: (
    name: string,
    v: string,
    query: { from: number; to: number; selector?: string; role?: 'active' | 'shadow' },
    signal?: AbortSignal,
  ) => call('GET /api/v1/models/{name}/versions/{version}/metrics', { ...version(name, v), query }, signal),
  quality: (
    name: string,
    v: string,
    query: { from: number; to: number; by?: string; buckets?: number },
    signal?: AbortSignal,
  ) => call('GET /api/v1/models/{name}/versions/{version}/quality', { ...version(name, v), query }, signal),
  automation: (name: string) => call('GET /api/v1/models/{name}/automation', { params: { name } }),
  rollouts: (query: { status?: string; model?: string } = {}) => call('GET /api/v1/rollouts', { query }),
  rollout: (id: string) => call('GET /api/v1/rollouts/{id}', { params: { id } }),
  createRollout: (body: RolloutCreateInput) => call('POST /api/v1/rollouts', { body }),
  planRollout: (body: RolloutPlanRequestInput) => call('POST /api/v1/rollouts/plan', { body }),
  rolloutAction: (id: string, action: RolloutAction, reason: string) =>
    call(`POST /api/v1/rollouts/{id}/${action}`, { params: { id }, body: { reason } }),
  apps: () => call('GET /api/v1/apps', {}),
  alerts: (status: AlertStatus | 'all' = 'open') => call('GET /api/v1/alerts', { query: { status } }),
  ackAlert: (id: number, note?: string) =>
    call('POST /api/v1/alerts/{id}/ack', { params: { id }, body: note ? { note } : {} }),
  samples: (query: SampleListQuery, signal?: AbortSignal) => call('GET /api/v1/samples', { query }, signal),
  sample: (sha256: string) => call('GET /api/v1/samples/{sha256}', { params: { sha256 } }),
  /** A sample's small JPEG thumbnail (images only). */
  sampleThumb: (sha256: string, signal?: AbortSignal) =>
    blob('GET /api/v1/samples/{sha256}/content', { params: { sha256 }, query: { thumb: '1' } }, signal),
  labelSample: (sha256: string, label: string | null) =>
    call('PUT /api/v1/samples/{sha256}/label', { params: { sha256 }, body: { label } }),
  datasets: () => call('GET /api/v1/datasets', {}),
  dataset: (id: string) => call('GET /api/v1/datasets/{id}', { params: { id } }),
  createDataset: (body: DatasetCreate) => call('POST /api/v1/datasets', { body }),
  /** A dataset's tar (images, labels.jsonl, manifest.json). */
  datasetExport: (id: string) => blob('GET /api/v1/datasets/{id}/export', { params: { id } }),
};

/** The query of `GET /api/v1/samples` as the client sends it. */
export type SampleListQuery = NonNullable<CallInput<ApiRoutes['GET /api/v1/samples']>['query']>;
