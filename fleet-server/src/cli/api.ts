import type { ApiRoutes, CallInput, CallOutput, ErrorDetails } from '@edgefleet/shared/api';
import { ApiClient, ApiError, fieldIssuesOf, parseErrorBody } from '@edgefleet/shared/api/client';
import { CliError, type CliIo, EXIT } from './io';
import type { Target } from './settings';

// The one HTTP client of the admin commands: the shared typed client with the admin token, and the server's
// `{ error, message, details }` answers turned into CliErrors with meaningful exit codes.

/** The exit code for an HTTP error status. */
export function exitCodeOf(status: number): number {
  if (status === 0 || status === 401 || status === 403) return EXIT.unreachable;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.serverError;
}

const MAX_DETAIL_CHARS = 500;

/** Turns an ApiError into a CliError: `404 not_found: no device 'x'`, details on the next line. */
export function cliErrorOf(error: ApiError, target: Target, upload = false): CliError {
  if (error.code === 'network') {
    // A server that refuses an upload (413) answers and closes before the body is sent; the answer can lose the
    // race with our write error.
    const message = upload
      ? `upload to ${target.url} interrupted: ${error.message.replace(/^cannot reach [^:]+:\d*:? ?/, '')}; the server closed the connection (a file over its --max-model-bytes limit is the usual cause)`
      : error.message;
    return new CliError(message, EXIT.unreachable);
  }
  if (error.code === 'bad_response') {
    return new CliError(
      `${error.status} from ${target.url} is not JSON: is this an EdgeFleet server?`,
      EXIT.serverError,
    );
  }
  if (error.code === 'http_error') return new CliError(error.message, exitCodeOf(error.status));
  const hint = error.status === 401 ? ' (run edgefleet login, or check --token / EDGEFLEET_ADMIN_TOKEN)' : '';
  const details = error.details === undefined ? undefined : formatDetails(error.details);
  return new CliError(
    `${error.status} ${error.code}: ${error.message}${hint}`,
    exitCodeOf(error.status),
    details,
  );
}

/** An authenticated client of one fleet server, typed by the shared route contract. */
export class CliApi {
  private readonly client: ApiClient;

  constructor(
    readonly target: Target,
    io: Pick<CliIo, 'fetch'>,
  ) {
    this.client = new ApiClient({ baseUrl: target.url, token: target.token, fetch: io.fetch });
  }

  /**
   * Calls route `key` again after a network failure (1, 2, 4 … s) or a 503 (its `retryAfterS`, else 5 s), up to
   * `attempts` tries; anything else throws at once. Only for requests that are safe to repeat.
   */
  callRetrying<K extends keyof ApiRoutes>(
    key: K,
    input: CallInput<ApiRoutes[K]>,
    policy: { attempts: number; onRetry?: (attempt: number, reason: string, waitS: number) => void },
    attempt = 1,
  ): Promise<CallOutput<ApiRoutes[K]>> {
    return this.client.call(key, input).catch(async (error: unknown) => {
      if (!(error instanceof ApiError)) throw error;
      const waitS = retryWaitS(error, attempt);
      if (waitS === null || attempt >= policy.attempts) throw cliErrorOf(error, this.target);
      policy.onRetry?.(attempt, `${error.status || ''} ${error.code}: ${error.message}`.trim(), waitS);
      await new Promise((resolve) => setTimeout(resolve, waitS * 1000));
      return this.callRetrying(key, input, policy, attempt + 1);
    });
  }

  /** Sends route `key` and resolves to the raw 2xx answer (a download, read by the caller); throws CliError otherwise. */
  async download<K extends keyof ApiRoutes>(key: K, input: CallInput<ApiRoutes[K]>): Promise<Response> {
    let res: Response;
    try {
      res = await this.client.send(key, input);
    } catch (error) {
      if (error instanceof ApiError) throw cliErrorOf(error, this.target);
      throw error;
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {}
    const fallback = `${res.status} ${res.statusText || 'error'} from the server (not an EdgeFleet error body)`;
    throw cliErrorOf(ApiError.of(res.status, parseErrorBody(json), fallback), this.target);
  }

  /** Calls route `key`; resolves to its JSON answer, throws CliError otherwise. */
  call<K extends keyof ApiRoutes>(key: K, input: CallInput<ApiRoutes[K]>): Promise<CallOutput<ApiRoutes[K]>> {
    return this.client.call(key, input).catch((error: unknown) => {
      if (error instanceof ApiError) throw cliErrorOf(error, this.target, 'rawBody' in input);
      throw error;
    });
  }
}

/** Seconds to wait before repeating a request that failed with `error`; null when it must not be repeated. */
function retryWaitS(error: ApiError, attempt: number): number | null {
  if (error.code === 'network') return Math.min(2 ** (attempt - 1), 10);
  if (error.status !== 503) return null;
  const details = error.details as { retryAfterS?: unknown } | undefined;
  const after = typeof details?.retryAfterS === 'number' ? details.retryAfterS : 5;
  return Math.min(Math.max(after, 1), 60);
}

/** Field errors as `field: message` lines (at most 10); anything else as JSON, cut short. */
export function formatDetails(details: ErrorDetails): string {
  const issues = Array.isArray(details) ? details : [details];
  const fields = fieldIssuesOf(details);
  if (fields.length === issues.length && fields.length > 0) {
    const lines = fields.slice(0, 10).map((d) => `${d.field}: ${d.message}`);
    if (fields.length > 10) lines.push(`… and ${fields.length - 10} more`);
    return lines.join('\n');
  }
  return `details: ${JSON.stringify(details).slice(0, MAX_DETAIL_CHARS)}`;
}

/** A path segment, encoded. */
export const seg = (value: string): string => encodeURIComponent(value);
