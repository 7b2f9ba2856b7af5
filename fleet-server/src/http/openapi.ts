import type { ApiRoute, SuccessStatus } from '@edgefleet/shared/api';
import { errorBodySchema } from '@edgefleet/shared/api';
import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import { documentMiniSchemas } from './mini-openapi';

documentMiniSchemas();

export { errorBodySchema };

const ERROR_DESCRIPTIONS = {
  400: 'Invalid input; `details` names each field at fault',
  401: 'Missing or unknown credentials',
  403: 'Credentials that may not do this',
  404: 'Not found',
  409: 'Conflict (exists already, immutable)',
  413: 'Body too large',
  415: 'Unsupported Content-Type',
  416: 'Range not satisfiable',
  422: 'Content that cannot be used',
  429: 'Rate limited; see Retry-After',
  503: 'Unavailable for now; retry later (`storage_full` / `storage_failed`: the server could not store the write)',
  507: 'A configured store quota is used up (`sample_store_full`); retry later',
} as const;

/** An error status a route documents. */
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

type ErrorResponse = {
  description: string;
  content: { 'application/json': { schema: typeof errorBodySchema } };
};

/** OpenAPI response entries for the given error statuses. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Record<S, ErrorResponse> {
  const entries = statuses.map((status) => [
    status,
    { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: errorBodySchema } } },
  ]);
  return Object.fromEntries(entries) as Record<S, ErrorResponse>;
}

type SecurityRequirement = Record<string, string[]>;

/** Security requirement objects by credential kind. */
export const SECURITY: Record<
  'admin' | 'adminOrSignedUrl' | 'device' | 'deviceOrAdmin' | 'app',
  SecurityRequirement[]
> = {
  admin: [{ adminToken: [] }],
  adminOrSignedUrl: [{ adminToken: [] }, { signedUrl: [] }],
  device: [{ deviceToken: [] }],
  deviceOrAdmin: [{ deviceToken: [] }, { adminToken: [] }],
  app: [{ publishableKey: [] }],
};

/** What the server adds to a contract route: its documentation, who may call it and how it fails. */
export interface RouteDoc<E extends ErrorStatus> {
  tags: string[];
  summary: string;
  description?: string;
  security?: SecurityRequirement[];
  /** Error statuses it answers with (the shared error body). */
  errors: readonly E[];
  /** What each success status means; default: the status text. */
  responses?: Partial<Record<SuccessStatus, string>>;
  /** Schema of a non-JSON body (a multipart form), for the documentation; the handler reads it. */
  rawBodySchema?: Record<string, unknown>;
}

const SUCCESS_TEXT: Record<SuccessStatus, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
  206: 'Partial content',
  304: 'Not modified',
  503: 'Unavailable; retry later',
};

type Nothing = Record<never, never>;
type Content<Type extends string, S> = { [K in Type]: { schema: S } };
type ResponseType<R extends ApiRoute> = R['rawResponse'] extends string
  ? R['rawResponse']
  : 'application/json';
type ResponseOf<R extends ApiRoute, S> = S extends z.ZodType
  ? { description: string; content: Content<ResponseType<R>, S> }
  : { description: string };
type SuccessResponses<R extends ApiRoute> = {
  [S in keyof R['responses'] & SuccessStatus]: S extends 503
    ? { description: string; content: Content<'application/json', R['responses'][S]> }
    : ResponseOf<R, R['responses'][S]>;
};
type BodyOf<R extends ApiRoute> = R['body'] extends z.ZodType
  ? { body: { required: boolean; content: Content<'application/json', R['body']> } }
  : R['rawBody'] extends string
    ? { body: { required: true; content: Content<R['rawBody'], z.ZodString> } }
    : Nothing;
type RequestOf<R extends ApiRoute> = (R['params'] extends z.ZodType ? { params: R['params'] } : Nothing) &
  (R['query'] extends z.ZodType ? { query: R['query'] } : Nothing) &
  BodyOf<R>;

/** The OpenAPI route of a contract route: what hono validates and types, and what `/openapi.json` shows. */
export type ContractRoute<R extends ApiRoute, E extends ErrorStatus> = {
  method: R['method'];
  path: R['path'];
  tags: string[];
  summary: string;
  description?: string;
  security?: SecurityRequirement[];
  request: RequestOf<R>;
  responses: SuccessResponses<R> & Record<E, ErrorResponse>;
};

const binary = z.string().meta({ format: 'binary' });

/**
 * Builds the route hono registers from the shared contract (method, path, schemas) and the server's docs.
 * @example app.openapi(contractRoute(route('GET /api/v1/devices/{id}'), { tags, summary, errors: [404] }), handler)
 */
export function contractRoute<R extends ApiRoute, E extends ErrorStatus>(
  route: R,
  doc: RouteDoc<E>,
): ContractRoute<R, E> {
  const request: Record<string, unknown> = {};
  if (route.params) request.params = route.params;
  if (route.query) request.query = route.query;
  if (route.body) {
    const content: Record<string, { schema: z.ZodType }> = { 'application/json': { schema: route.body } };
    for (const type of route.bodyAlso ?? []) content[type] = { schema: route.body };
    request.body = { required: !route.bodyOptional, content };
  } else if (route.rawBody) {
    const schema = route.rawBody === 'application/octet-stream' ? binary : (doc.rawBodySchema ?? {});
    request.body = { required: true, content: { [route.rawBody]: { schema } } };
  }
  const responses: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(route.responses)) {
    const status = Number(key) as SuccessStatus;
    const description = doc.responses?.[status] ?? SUCCESS_TEXT[status];
    const type = status === 503 || !route.rawResponse ? 'application/json' : route.rawResponse;
    responses[key] = schema ? { description, content: { [type]: { schema } } } : { description };
  }
  // Any write may meet a full disk: 503 `storage_full` is documented on every route that writes.
  const writes = route.method !== 'get' && !doc.errors.includes(503 as E) && !('503' in responses);
  Object.assign(responses, errorResponses(...doc.errors, ...(writes ? [503 as E] : [])));
  const { errors: _errors, responses: _docs, rawBodySchema: _raw, ...rest } = doc;
  return createRoute({
    ...rest,
    method: route.method,
    path: route.path,
    request,
    responses,
  } as RouteConfig) as unknown as ContractRoute<R, E>;
}
