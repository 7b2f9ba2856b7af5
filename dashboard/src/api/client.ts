import { getToken, setToken } from './session';
import type {
  Alert,
  AlertStatus,
  ApiErrorBody,
  App,
  ArtifactMeta,
  Device,
  DeviceReport,
  FleetOverview,
  Model,
  ModelVersion,
  ProfileJSON,
  ProfileSpec,
  RolloutAction,
  RolloutCreate,
  RolloutDetail,
  RolloutSummary,
  TimeseriesPoint,
  TimeseriesQuery,
  VersionMetrics,
} from './types';

/** The one place the dashboard talks to the fleet server: typed calls under `/api/v1`, errors as {@link ApiError}. */

export const API_BASE = '/api/v1';

/** An error answer of the API (or a network failure, with status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

const seg = (s: string) => encodeURIComponent(s);

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', `the server cannot be reached (${(error as Error).message})`);
  }
  if (res.status === 401) {
    // The token is wrong or was revoked: back to the login page.
    setToken(null);
    throw new ApiError(401, 'unauthorized', 'not logged in, or the admin token is no longer valid');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const err = parsed as Partial<ApiErrorBody> | null;
    throw new ApiError(
      res.status,
      typeof err?.error === 'string' ? err.error : 'http_error',
      typeof err?.message === 'string' ? err.message : `${method} ${path} failed with HTTP ${res.status}`,
      err?.details,
    );
  }
  if (parsed === null) throw new ApiError(res.status, 'bad_response', `${method} ${path}: expected JSON`);
  return parsed as T;
}

const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  request<T>('GET', withQuery(path, query), undefined, signal);
const post = <T>(path: string, body: unknown) => request<T>('POST', path, body);

/** Checks a token without storing it (login). */
export async function checkToken(token: string): Promise<void> {
  const res = await fetch(`${API_BASE}/models`, { headers: { authorization: `Bearer ${token}` } }).catch(
    (error: Error) => {
      throw new ApiError(0, 'network', `the server cannot be reached (${error.message})`);
    },
  );
  if (res.status === 401 || res.status === 403) {
    throw new ApiError(res.status, 'unauthorized', 'this is not a valid admin token');
  }
  if (!res.ok) throw new ApiError(res.status, 'http_error', `the server answered HTTP ${res.status}`);
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

export const api = {
  overview: (signal?: AbortSignal) => get<FleetOverview>('/fleet/overview', {}, signal),
  devices: (query: { selector?: string; online?: 'true' | 'false'; limit?: number; offset?: number }) =>
    get<{ devices: Device[]; total: number }>('/devices', query),
  device: (id: string) => get<Device>(`/devices/${seg(id)}`),
  deviceReports: (id: string, limit = 20) =>
    get<{ reports: DeviceReport[] }>(`/devices/${seg(id)}/reports`, { limit }),
  models: () => get<{ models: Model[] }>('/models'),
  versions: (name: string) => get<{ versions: ModelVersion[] }>(`/models/${seg(name)}/versions`),
  spec: (name: string, version: string) =>
    once(`spec:${name}@${version}`, () =>
      get<ProfileSpec>(`/models/${seg(name)}/versions/${seg(version)}/spec`),
    ),
  baseline: (name: string, version: string) =>
    once(`baseline:${name}@${version}`, () =>
      get<ProfileJSON>(`/models/${seg(name)}/versions/${seg(version)}/baseline`),
    ),
  timeseries: (name: string, version: string, query: TimeseriesQuery, signal?: AbortSignal) =>
    get<{ points: TimeseriesPoint[] }>(
      `/models/${seg(name)}/versions/${seg(version)}/timeseries`,
      { ...query },
      signal,
    ),
  artifactMeta: (sha256: string) =>
    once(`meta:${sha256}`, () => get<ArtifactMeta>(`/artifacts/${seg(sha256)}/meta`)),
  metrics: (
    name: string,
    version: string,
    query: { from: number; to: number; selector?: string; role?: 'active' | 'shadow' },
    signal?: AbortSignal,
  ) => get<VersionMetrics>(`/models/${seg(name)}/versions/${seg(version)}/metrics`, { ...query }, signal),
  rollouts: (query: { status?: string; model?: string } = {}) =>
    get<{ rollouts: RolloutSummary[] }>('/rollouts', query),
  rollout: (id: string) => get<RolloutDetail>(`/rollouts/${seg(id)}`),
  createRollout: (body: RolloutCreate) => post<RolloutDetail>('/rollouts', body),
  rolloutAction: (id: string, action: RolloutAction, reason: string) =>
    post<{ rollout: RolloutDetail }>(`/rollouts/${seg(id)}/${action}`, { reason }),
  apps: () => get<{ apps: App[] }>('/apps'),
  alerts: (status: AlertStatus = 'open') => get<{ alerts: Alert[] }>('/alerts', { status }),
  ackAlert: (id: string | number, note?: string) =>
    post<unknown>(`/alerts/${seg(String(id))}/ack`, note ? { note } : {}),
};
