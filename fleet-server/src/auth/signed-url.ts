import { createHmac, timingSafeEqual } from 'node:crypto';
import { type ApiRoute, apiRoute, SIGNED_URL_PARAMS } from '@edgefleet/shared/api';

/**
 * The GET routes a signed URL may open: large or binary answers a browser fetches by plain link. Anything else
 * (lists, admin actions, tokens) keeps needing the Authorization header.
 */
const SIGNABLE_ROUTES: readonly ApiRoute[] = [
  apiRoute('GET /api/v1/datasets/{id}/export'),
  apiRoute('GET /api/v1/samples/{sha256}/content'),
];

const templateOf = (path: string): RegExp => new RegExp(`^${path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`);
const SIGNABLE = SIGNABLE_ROUTES.map((route) => ({ route, pattern: templateOf(route.path) }));

/** Host used to parse relative paths; a path that changes it (`//other/…`) is refused. */
const PARSE_BASE = 'http://signed.invalid';

/** A parsed signable request: the path as the server routes it and its query without the signature's own params. */
export interface SignableTarget {
  path: string;
  query: URLSearchParams;
}

/** Why a path cannot be signed (or a signed request does not name a signable route). */
export type SignableVerdict = { ok: true; target: SignableTarget } | { ok: false; reason: string };

/**
 * Checks a path with query against the allow-list: an absolute path the URL parser leaves as it is (no `..`, no
 * `//host`, no fragment), a signable route, path parameters and query that the route's own contract accepts, no
 * unknown or repeated query parameter.
 */
export function signableTarget(pathWithQuery: string): SignableVerdict {
  if (!pathWithQuery.startsWith('/') || pathWithQuery.startsWith('//'))
    return { ok: false, reason: 'expected an absolute path such as /api/v1/datasets/<id>/export' };
  let url: URL;
  try {
    url = new URL(pathWithQuery, PARSE_BASE);
  } catch {
    return { ok: false, reason: 'not a URL path' };
  }
  const rawPath = pathWithQuery.split(/[?#]/, 1)[0] ?? '';
  if (url.origin !== PARSE_BASE || url.hash !== '' || pathWithQuery.includes('#') || url.pathname !== rawPath)
    return { ok: false, reason: 'the path must be in canonical form (no .., //, fragment or re-encoding)' };
  const query = new URLSearchParams(url.search);
  if (SIGNED_URL_PARAMS.some((param) => query.has(param)))
    return {
      ok: false,
      reason: `the path must not carry ${SIGNED_URL_PARAMS.join(', ')} (it is signed as it is)`,
    };
  return signableRequest(url.pathname, query);
}

/** Checks a request's path and query (signature params removed) against the allow-list. */
export function signableRequest(path: string, query: URLSearchParams): SignableVerdict {
  const entry = SIGNABLE.find(({ pattern }) => pattern.test(path));
  if (!entry)
    return { ok: false, reason: `${path} cannot be signed (only dataset exports and sample contents)` };
  const params = entry.pattern.exec(path)?.groups ?? {};
  if (entry.route.params && !entry.route.params.safeParse(params).success)
    return { ok: false, reason: `${path}: invalid path parameters` };
  const keys = [...query.keys()];
  if (new Set(keys).size !== keys.length) return { ok: false, reason: 'a query parameter is repeated' };
  const values = Object.fromEntries(query);
  const querySchema = entry.route.query?.strict();
  if (querySchema ? !querySchema.safeParse(values).success : keys.length > 0)
    return { ok: false, reason: `${path}: query parameters the route does not take` };
  return { ok: true, target: { path, query } };
}

/** The query in one canonical order (sorted by name, then value; RFC 3986 encoding), e.g. `thumb=1`. */
export function canonicalQuery(query: URLSearchParams): string {
  return [...query]
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}

/** What a signature covers: method, path, canonical query, expiry and the admin token that signed it. */
export interface SignedFields {
  method: 'GET';
  target: SignableTarget;
  expiresAt: number;
  tokenId: string;
}

/** The HMAC-SHA256 of the signed fields under `secret`, base64url (43 characters). */
export function signatureOf(secret: Buffer, fields: SignedFields): string {
  const payload = [
    fields.method,
    fields.target.path,
    canonicalQuery(fields.target.query),
    String(fields.expiresAt),
    fields.tokenId,
  ].join('\n');
  return createHmac('sha256', secret).update(payload, 'utf8').digest('base64url');
}

/** The URL (path and query) a browser may GET until `expiresAt`. */
export function signedUrlOf(secret: Buffer, fields: SignedFields): string {
  const query = new URLSearchParams(canonicalQuery(fields.target.query));
  query.set('exp', String(fields.expiresAt));
  query.set('by', fields.tokenId);
  query.set('sig', signatureOf(secret, fields));
  return `${fields.target.path}?${query}`;
}

/** Constant-time check of a presented signature against the expected one. */
export function signatureMatches(presented: string, expected: string): boolean {
  const left = Buffer.from(presented, 'utf8');
  const right = Buffer.from(expected, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
