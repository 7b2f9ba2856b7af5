/** An answer of the fleet server that was not what the demo asked for. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; details?: unknown } | null,
    what: string,
  ) {
    super(`${what}: HTTP ${status}${body?.message ? ` — ${body.message}` : ''}`);
  }
}

/** The admin side of the fleet server's HTTP API, as the demo uses it. */
export class AdminApi {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  /** Sends a request with the admin token; `json` becomes the body. Resolves to the raw response. */
  request(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${this.token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${this.url}${path}`, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  }

  /** Like {@link request}, but parses the JSON answer and throws {@link ApiError} unless its status is in `ok`. */
  async call<T>(
    path: string,
    init: RequestInit & { json?: unknown } = {},
    ok: readonly number[] = [200, 201],
  ): Promise<T> {
    const res = await this.request(path, init);
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { message: text.slice(0, 200) };
    }
    if (!ok.includes(res.status)) {
      throw new ApiError(res.status, body as ApiError['body'], `${init.method ?? 'GET'} ${path}`);
    }
    return body as T;
  }
}
