/**
 * Whether a request's `Origin` may use an app's publishable key. An app without `allowedOrigins` takes any origin;
 * otherwise a browser request (it always sends `Origin` on cross-origin fetches, beacons and WebSocket upgrades)
 * must come from one of them; `Origin: null` (sandboxed frames, file://) never matches. A request without an
 * `Origin` is not from a browser page: the key is public, so origins guard against other sites' pages, not
 * against scripts (see SECURITY.md).
 */
export function originAllowed(allowedOrigins: readonly string[], origin: string | undefined): boolean {
  if (allowedOrigins.length === 0 || origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  return normalized !== null && allowedOrigins.some((allowed) => normalizeOrigin(allowed) === normalized);
}

function normalizeOrigin(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}
