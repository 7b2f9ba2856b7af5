import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';

/**
 * Ends the keep-alive connection cleanly when an answer goes out before the request body was read to its
 * end (a 401 before an upload is looked at, a 413 part-way through a stream): the answer says
 * `Connection: close`, so Node closes the socket after it and the client opens a new one for its next
 * request instead of writing into a connection whose unread body bytes would be parsed as the next
 * request (or that the adapter later destroys, failing that request with "other side closed").
 * Requests whose body was read completely keep their connection.
 */
export function closeConnectionOnUnreadBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const incoming = c.env?.incoming;
    if (!incoming || incoming.readableEnded || !hasBody(incoming.headers)) return;
    c.res.headers.set('connection', 'close');
  };
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return headers['transfer-encoding'] !== undefined;
}
