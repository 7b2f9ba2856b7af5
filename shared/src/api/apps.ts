import { z } from 'zod';
import { appPlanSchema } from '../protocol/app-plan';
import { idSchema } from '../protocol/primitives';
import { idParamsSchema } from './devices';
import { API_PREFIX, defineRoute } from './route';

/** A web app: its publishable key, the origins allowed to use it and the rev of its plan. */
export const appSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    publishableKey: z.string(),
    allowedOrigins: z.array(z.string()),
    createdAt: z.int(),
    disabled: z.boolean(),
    planRev: z.int(),
  })
  .meta({
    id: 'App',
    example: {
      id: 'shop',
      name: 'Shop inspector',
      publishableKey: 'efp_Jx0c9mQ2vR7tYb1nZ8aKsLp3Wd6HyUe',
      allowedOrigins: ['https://shop.example.com'],
      createdAt: 1764000000000,
      disabled: false,
      planRev: 2,
    },
  });
/** A web app. */
export type App = z.infer<typeof appSchema>;

const originSchema = z
  .string()
  .regex(/^https?:\/\/[^\s/]+$/, 'expected an origin like https://shop.example.com');

/** Body of `POST /api/v1/apps`. */
export const appCreateSchema = z
  .object({
    id: z.optional(idSchema),
    name: z.string().min(1).max(128),
    allowedOrigins: z.array(originSchema).max(32).default([]),
  })
  .meta({
    id: 'AppCreate',
    example: { id: 'shop', name: 'Shop inspector', allowedOrigins: ['https://shop.example.com'] },
  });
/** Body of `POST /api/v1/apps`. */
export type AppCreate = z.infer<typeof appCreateSchema>;

/** Body of `PATCH /api/v1/apps/{id}`: rename, set origins, disable / enable, rotate the key. */
export const appPatchSchema = z
  .strictObject({
    name: z.string().min(1).max(128).optional(),
    allowedOrigins: z.array(originSchema).max(32).optional(),
    disabled: z.boolean().optional(),
    rotateKey: z.boolean().optional(),
  })
  .meta({ id: 'AppPatch', example: { rotateKey: true } });
/** Body of `PATCH /api/v1/apps/{id}`. */
export type AppPatch = z.infer<typeof appPatchSchema>;

/** `GET /api/v1/app/plan`: the calling app's plan; null until a rollout targets the app. */
export const appPlanViewSchema = z
  .object({ appId: idSchema, rev: z.int(), plan: z.nullable(appPlanSchema) })
  .meta({ id: 'AppPlanView', example: { appId: 'shop', rev: 0, plan: null } });
/** `GET /api/v1/app/plan`. */
export type AppPlanView = z.infer<typeof appPlanViewSchema>;

const apps = `${API_PREFIX}/apps`;

/** App administration and the publishable-key plan route. */
export const appRoutes = [
  defineRoute({ method: 'post', path: apps, body: appCreateSchema, responses: { 201: appSchema } }),
  defineRoute({
    method: 'get',
    path: apps,
    responses: { 200: z.object({ apps: z.array(appSchema) }).meta({ id: 'AppList', example: { apps: [] } }) },
  }),
  defineRoute({ method: 'get', path: `${apps}/{id}`, params: idParamsSchema, responses: { 200: appSchema } }),
  defineRoute({
    method: 'patch',
    path: `${apps}/{id}`,
    params: idParamsSchema,
    body: appPatchSchema,
    responses: { 200: appSchema },
  }),
  defineRoute({ method: 'delete', path: `${apps}/{id}`, params: idParamsSchema, responses: { 204: null } }),
  defineRoute({ method: 'get', path: `${API_PREFIX}/app/plan`, responses: { 200: appPlanViewSchema } }),
] as const;
