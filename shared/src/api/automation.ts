import { z } from 'zod';
import { automationSchema } from '../protocol/automation';
import { idSchema } from '../protocol/primitives';
import { modelParamsSchema } from './models';
import { API_PREFIX, defineRoute } from './route';

/** Most devices one automation setting names explicitly. */
export const MAX_AUTOMATION_DEVICES = 10_000;

/** Where an automation level applies: devices by label selector, explicit devices, or a web app's browsers. */
export const automationTargetRequestSchema = z.union([
  z.strictObject({ selector: z.string().min(1).max(4096).meta({ example: 'site=plant-a,line in (3,4)' }) }),
  z.strictObject({ devices: z.array(idSchema).min(1).max(MAX_AUTOMATION_DEVICES) }),
  z.strictObject({ app: idSchema }),
]);

/** Body of `PUT /api/v1/models/{name}/automation`. */
export const automationSetSchema = z
  .strictObject({
    target: automationTargetRequestSchema,
    level: automationSchema,
  })
  .meta({
    id: 'AutomationSet',
    example: {
      target: { selector: 'site=plant-a' },
      level: { level: 'partial', minConfidence: 0.9, minMargin: 0.2 },
    },
  });
/** Body of `PUT /api/v1/models/{name}/automation`. */
export type AutomationSet = z.infer<typeof automationSetSchema>;

/** A stored automation target. */
export const automationTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('selector'), selector: z.string() }),
  z.object({ kind: z.literal('devices'), ids: z.array(idSchema) }),
  z.object({ kind: z.literal('app'), appId: idSchema }),
]);
/** A stored automation target. */
export type AutomationTarget = z.infer<typeof automationTargetSchema>;

/** One automation setting of a model: who set which level on which target, and when. */
export const automationSettingSchema = z
  .object({
    model: idSchema,
    target: automationTargetSchema,
    level: automationSchema,
    actor: z.string(),
    setAt: z.int(),
  })
  .meta({
    id: 'AutomationSetting',
    example: {
      model: 'cls',
      target: { kind: 'selector', selector: 'site=plant-a' },
      level: { level: 'partial', minConfidence: 0.9, minMargin: 0.2 },
      actor: 'admin',
      setAt: 1_763_900_000_000,
    },
  });
/** One automation setting of a model. */
export type AutomationSetting = z.infer<typeof automationSettingSchema>;

/**
 * Answer of a set: the stored setting and what it reached now. `devices`: desired states republished (rev + 1);
 * `skipped`: devices the target covers whose desired state does not serve the model (or that have none yet);
 * `failed`: publishes that failed (the setting is stored; set it again to retry); `app`: the app plan republished.
 */
export const automationResultSchema = z
  .object({
    setting: automationSettingSchema,
    applied: z.object({
      devices: z.int().min(0),
      skipped: z.int().min(0),
      failed: z.int().min(0),
      app: z.boolean(),
    }),
  })
  .meta({
    id: 'AutomationResult',
    example: {
      setting: {
        model: 'cls',
        target: { kind: 'devices', ids: ['station-1'] },
        level: { level: 'assist' },
        actor: 'admin',
        setAt: 1_763_900_000_000,
      },
      applied: { devices: 1, skipped: 0, failed: 0, app: false },
    },
  });
/** Answer of a set. */
export type AutomationResult = z.infer<typeof automationResultSchema>;

/** `GET …/automation`: the setting in force per target (the latest), and every setting made, newest first. */
export const automationListSchema = z
  .object({
    settings: z.array(automationSettingSchema),
    history: z.array(automationSettingSchema),
  })
  .meta({
    id: 'AutomationList',
    example: {
      settings: [
        {
          model: 'cls',
          target: { kind: 'app', appId: 'shop' },
          level: { level: 'shadow' },
          actor: 'admin',
          setAt: 1_763_900_000_000,
        },
      ],
      history: [
        {
          model: 'cls',
          target: { kind: 'app', appId: 'shop' },
          level: { level: 'shadow' },
          actor: 'admin',
          setAt: 1_763_900_000_000,
        },
      ],
    },
  });
/** `GET …/automation`. */
export type AutomationList = z.infer<typeof automationListSchema>;

/** Automation levels: how much a model decides alone, per device target or web app. */
export const automationRoutes = [
  defineRoute({
    method: 'put',
    path: `${API_PREFIX}/models/{name}/automation`,
    params: modelParamsSchema,
    body: automationSetSchema,
    responses: { 200: automationResultSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/models/{name}/automation`,
    params: modelParamsSchema,
    responses: { 200: automationListSchema },
  }),
] as const;
