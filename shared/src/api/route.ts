import type { z } from 'zod';

/** Prefix of every versioned API route. */
export const API_PREFIX = '/api/v1';

/** Statuses a route answers with on success. */
export type SuccessStatus = 200 | 201 | 204 | 206 | 304 | 503;

/** How a route's request body travels when it is not JSON. */
export type RawBodyType = 'application/octet-stream' | 'multipart/form-data';

/** What a route answers with on success when it is not JSON. */
export type RawResponseType =
  | 'application/octet-stream'
  | 'application/x-tar'
  | 'text/plain'
  | 'text/event-stream';

/**
 * One HTTP route of the contract: method, path (`{name}` for path parameters), the request's parts and the body
 * of each success status (`null`: no body). The server builds its OpenAPI route from it; the client types its
 * calls with it. Descriptions, tags and auth are the server's.
 */
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** A JSON body. */
  body?: z.ZodType;
  /** The body is optional (an empty POST is allowed). */
  bodyOptional?: true;
  /** Content types a JSON body may also be sent as (e.g. `text/plain` for `sendBeacon`). */
  bodyAlso?: readonly 'text/plain'[];
  /** A body that is not JSON (an upload, a multipart form); the handler reads it itself. */
  rawBody?: RawBodyType;
  responses: Partial<Record<SuccessStatus, z.ZodType | null>>;
  /** The success body's content type when it is not JSON. */
  rawResponse?: RawResponseType;
}

/** Keeps a route's literal types (method, path, schemas) for the server and the client. */
export const defineRoute = <const R extends ApiRoute>(route: R): R => route;

/** `GET /api/v1/devices/{id}`: how the client names a route. */
export type RouteKey<R extends ApiRoute> = `${Uppercase<R['method']>} ${R['path']}`;
