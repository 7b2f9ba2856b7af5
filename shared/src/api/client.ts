import type { z } from 'zod';
import type { ErrorBody, ErrorDetails } from './error';
import { parseErrorBody } from './error-body';
import type { ApiRoute, SuccessStatus } from './route';
import type { ApiRoutes } from './routes';

// The typed client core of the dashboard, the CLI and the demo: `fetch` and the route contract's types, no zod
// at run time (a browser bundle that imports it carries no schema).

/** An error answer of the API; `status` 0 with `code` `network` when the server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The error of an answer whose body is (or is not) an API error body. */
  static of(status: number, body: ErrorBody | null, fallback: string): ApiError {
    return body
      ? new ApiError(status, body.error, body.message, body.details)
      : new ApiError(status, 'http_error', fallback);
  }
}

type Input<S> = S extends z.ZodType ? z.input<S> : never;
type Output<S> = S extends z.ZodType ? z.output<S> : undefined;
type OkStatus = Exclude<SuccessStatus, 503>;

/** What a call of route `R` takes: its path parameters, query and body, each only where the route has one. */
export type CallInput<R extends ApiRoute> = (R['params'] extends z.ZodType
  ? { params: Input<R['params']> }
  : { params?: never }) &
  (R['query'] extends z.ZodType ? { query?: Input<R['query']> } : { query?: never }) &
  (R['body'] extends z.ZodType
    ? R['bodyOptional'] extends true
      ? { body?: Input<R['body']> }
      : { body: Input<R['body']> }
    : R['rawBody'] extends string
      ? { rawBody: BodyInit; contentLength?: number }
      : { body?: never });

/** What a call of route `R` resolves to: the body of any of its success statuses (`undefined`: none). */
export type CallOutput<R extends ApiRoute> = {
  [S in keyof R['responses'] & OkStatus]: Output<R['responses'][S]>;
}[keyof R['responses'] & OkStatus];

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** Origin of the fleet server (`http://127.0.0.1:8080`), or `''` for the page's own. */
  baseUrl: string;
  /** The bearer token, or a function that reads the current one; none for public routes. */
  token?: string | (() => string | null | undefined);
  fetch?: typeof fetch;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

type Query = Record<string, string | number | boolean | null | undefined>;

/** `/api/v1/devices/{id}` with `{ id: 'st 1' }` → `/api/v1/devices/st%201`. */
export function fillPath(path: string, params: Record<string, unknown> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) throw new TypeError(`${path}: missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

/** A query string of the set values (`undefined`, `null` and `''` are left out), with its `?`, or `''`. */
export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** `connect ECONNREFUSED 127.0.0.1:1` rather than undici's bare `fetch failed`. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: string }).code;
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * A client of one fleet server, typed by the route contract:
 * @example await api.call('GET /api/v1/devices/{id}', { params: { id: 'st-1' } }) // a Device
 */
export class ApiClient {
  constructor(readonly options: ApiClientOptions) {}

  /** The bearer token now. */
  token(): string | null {
    const { token } = this.options;
    return (typeof token === 'function' ? token() : token) ?? null;
  }

  /** Sends a request of route `key`; resolves to the answer itself (any status). Network failures throw ApiError. */
  async send<K extends keyof ApiRoutes>(
    key: K,
    input: CallInput<ApiRoutes[K]>,
    options: CallOptions = {},
  ): Promise<Response> {
    const space = key.indexOf(' ');
    const method = key.slice(0, space);
    const { params, query, body, rawBody, contentLength } = input as {
      params?: Record<string, unknown>;
      query?: Query;
      body?: unknown;
      rawBody?: BodyInit;
      contentLength?: number;
    };
    const url = `${this.options.baseUrl}${fillPath(key.slice(space + 1), params)}${queryString(query)}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (rawBody !== undefined && !(rawBody instanceof FormData))
      headers['content-type'] = 'application/octet-stream';
    if (contentLength !== undefined) headers['content-length'] = String(contentLength);
    const sent = body !== undefined ? JSON.stringify(body) : rawBody;
    const doFetch = this.options.fetch ?? fetch;
    try {
      return await doFetch(url, {
        method,
        headers,
        ...(sent !== undefined ? { body: sent } : {}),
        ...(sent instanceof ReadableStream ? { duplex: 'half' } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      } as RequestInit);
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(
        0,
        'network',
        `cannot reach ${this.options.baseUrl || 'the server'}: ${networkReason(error)}`,
      );
    }
  }

  /** Sends a request of route `key` and resolves to its parsed JSON body; any error status throws ApiError. */
  async call<K extends keyof ApiRoutes>(
    key: K,
    input: CallInput<ApiRoutes[K]>,
    options: CallOptions = {},
  ): Promise<CallOutput<ApiRoutes[K]>> {
    const res = await this.send(key, input, options);
    const text = res.status === 204 || res.status === 304 ? '' : await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
      const fallback = `${res.status} ${res.statusText || 'error'} from the server (not an EdgeFleet error body)${snippet ? `: ${snippet}` : ''}`;
      throw ApiError.of(res.status, parseErrorBody(json), fallback);
    }
    if (json === undefined && text) {
      throw new ApiError(res.status, 'bad_response', `${key}: expected JSON (is this an EdgeFleet server?)`);
    }
    return json as CallOutput<ApiRoutes[K]>;
  }
}

export { deployErrorsOf, runningModelsOf, versionLabel } from './device-state';
export { fieldIssuesOf, parseErrorBody } from './error-body';
export { planDurationText } from './plan-text';
