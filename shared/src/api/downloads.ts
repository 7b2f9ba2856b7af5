import { z } from 'zod';
import { API_PREFIX, defineRoute } from './route';

/**
 * Signed download URLs: a browser link (`<a href download>`, `<img src>`) cannot send an Authorization header, so
 * an admin asks the server to sign one GET path for a few minutes and hands the browser that URL, which it streams
 * to disk instead of buffering the whole answer in memory.
 *
 * One route for every signable path (not a `…/export-url` per resource): the allow-list, the signature and its
 * checks live in one place, a client needs to know one route, and a new downloadable resource is one entry in the
 * server's allow-list rather than another route to secure.
 */

/** Query parameters a signed URL adds to the path it signs. */
export const SIGNED_URL_PARAMS = ['exp', 'by', 'sig'] as const;

/** Body of `POST /api/v1/downloads`. */
export const downloadUrlRequestSchema = z
  .object({
    path: z
      .string()
      .min(1)
      .max(512)
      .meta({
        description:
          'A GET path with its query, e.g. `/api/v1/datasets/ds-0123456789ab/export` or ' +
          '`/api/v1/samples/<sha256>/content?thumb=1`; only dataset exports and sample contents can be signed',
      }),
  })
  .meta({ id: 'DownloadUrlRequest', example: { path: '/api/v1/datasets/ds-0123456789ab/export' } });
export type DownloadUrlRequest = z.infer<typeof downloadUrlRequestSchema>;

/** Answer of `POST /api/v1/downloads`. */
export const downloadUrlSchema = z
  .object({
    url: z.string().meta({
      description:
        'The path and query to GET without credentials, relative to the server (`exp`, `by` = the admin token id ' +
        'that signed it, `sig` = HMAC-SHA256 appended)',
    }),
    expiresAt: z.int().meta({ description: 'ms since the epoch after which the URL answers 401' }),
  })
  .meta({
    id: 'DownloadUrl',
    example: {
      url: '/api/v1/datasets/ds-0123456789ab/export?exp=1767225900000&by=adm_0123456789abcdef01234567&sig=3q2-7w',
      expiresAt: 1_767_225_900_000,
    },
  });
export type DownloadUrl = z.infer<typeof downloadUrlSchema>;

/** The download routes. */
export const downloadRoutes = [
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/downloads`,
    body: downloadUrlRequestSchema,
    responses: { 201: downloadUrlSchema },
  }),
] as const;
