import { CliError, type CliIo, EXIT } from './io';
import type { Target } from './settings';

// The one HTTP client of the admin commands: bearer auth, JSON in and out, and the server's
// `{ error, message, details }` answers turned into CliErrors with meaningful exit codes.

/** The exit code for an HTTP error status. */
export function exitCodeOf(status: number): number {
  if (status === 401 || status === 403) return EXIT.unreachable;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.serverError;
}

const MAX_DETAIL_CHARS = 500;

/** Turns an error answer into a CliError: `404 not_found: no device 'x'`, details on the next line. */
export async function errorOf(res: Response): Promise<CliError> {
  const text = await res.text().catch(() => '');
  const body = parseJsonOrNull(text) as { error?: unknown; message?: unknown; details?: unknown } | null;
  if (!body || typeof body !== 'object' || typeof body.message !== 'string') {
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    return new CliError(
      `${res.status} ${res.statusText || 'error'} from the server (not an EdgeFleet error body)${snippet ? `: ${snippet}` : ''}`,
      exitCodeOf(res.status),
    );
  }
  const hint = res.status === 401 ? ' (run edgefleet login, or check --token / EDGEFLEET_ADMIN_TOKEN)' : '';
  const details = body.details === undefined ? undefined : formatDetails(body.details);
  return new CliError(
    `${res.status} ${String(body.error)}: ${body.message}${hint}`,
    exitCodeOf(res.status),
    details,
  );
}

/** Options of one request. */
export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** A raw body (e.g. a file stream); sent with `contentType`. */
  body?: BodyInit;
  contentType?: string;
  contentLength?: number;
}

/** An authenticated client of one fleet server. */
export class ApiClient {
  constructor(
    readonly target: Target,
    private readonly io: Pick<CliIo, 'fetch'>,
  ) {}

  /** Sends a request; resolves to the parsed JSON answer (null for 204), throws CliError otherwise. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) query.set(key, String(value));
    }
    const url = `${this.target.url}/api/v1${path}${query.size > 0 ? `?${query}` : ''}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.target.token}` };
    let body: BodyInit | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.contentType) headers['content-type'] = options.contentType;
    if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
    const streaming = body instanceof ReadableStream;
    let res: Response;
    try {
      res = await this.io.fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(streaming ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      if (streaming) {
        // A server that refuses an upload (413) answers and closes before the body is sent; the answer can
        // lose the race with our write error.
        throw new CliError(
          `upload to ${this.target.url} interrupted: ${networkReason(error)}; the server closed the connection (a file over its --max-model-bytes limit is the usual cause)`,
          EXIT.unreachable,
        );
      }
      throw new CliError(`cannot reach ${this.target.url}: ${networkReason(error)}`, EXIT.unreachable);
    }
    if (!res.ok) throw await errorOf(res);
    if (res.status === 204) return null as T;
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `${res.status} from ${this.target.url} is not JSON: is this an EdgeFleet server?`,
        EXIT.serverError,
      );
    }
  }

  get<T = unknown>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, query ? { query } : {});
  }
  post<T = unknown>(path: string, json: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, { json });
  }
  patch<T = unknown>(path: string, json: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { json });
  }
  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}

/** `connect ECONNREFUSED 127.0.0.1:1` rather than undici's bare `fetch failed`. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Field errors as `field: message` lines (at most 10); anything else as JSON, cut short. */
export function formatDetails(details: unknown): string {
  const issues = Array.isArray(details) ? details : [details];
  const fields = issues.filter(
    (d): d is { field: string; message: string } =>
      typeof d === 'object' && d !== null && typeof d.field === 'string' && typeof d.message === 'string',
  );
  if (fields.length === issues.length && fields.length > 0) {
    const lines = fields.slice(0, 10).map((d) => `${d.field}: ${d.message}`);
    if (fields.length > 10) lines.push(`… and ${fields.length - 10} more`);
    return lines.join('\n');
  }
  return `details: ${JSON.stringify(details).slice(0, MAX_DETAIL_CHARS)}`;
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A path segment, encoded. */
export const seg = (value: string): string => encodeURIComponent(value);
