import { z } from 'zod';
import { enrollRequestSchema, enrollResponseSchema } from '../protocol/http';
import { idSchema, labelKeySchema, labelsSchema, textSchema } from '../protocol/primitives';
import { capabilitiesSchema, reportedSchema } from '../protocol/reported';
import { API_PREFIX, defineRoute } from './route';
import { EXAMPLE_JWK } from './system';

const EXAMPLE_REPORTED = {
  type: 'state',
  v: 1,
  deviceId: 'st-1',
  epoch: 3,
  appliedRev: 7,
  agentVersion: '0.1.0',
  at: 1764000000000,
  running: { active: { name: 'cls', version: '1.1.0' }, shadow: null, standby: null },
  errors: [],
} as const;

/** What a device said at enrollment, until its first hello replaces it. */
export const enrolledStateSchema = z
  .object({ capabilities: capabilitiesSchema, agentVersion: textSchema(64) })
  .meta({
    id: 'EnrolledState',
    example: { capabilities: { platform: 'node', backends: ['cpu'] }, agentVersion: '0.1.0' },
  });

/** A device's last reported state: its last hello or state report, or what it said at enrollment. */
export const reportedStateSchema = z.union([reportedSchema, enrolledStateSchema]);
/** A device's last reported state. */
export type ReportedState = z.infer<typeof reportedStateSchema>;

/** A device as the admin API shows it: labels, presence, the state it reported and its desired / applied revs. */
export const deviceSchema = z
  .object({
    id: idSchema,
    name: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    createdAt: z.int(),
    disabled: z.boolean(),
    disabledAt: z.int().nullable(),
    online: z.boolean(),
    epoch: z.int(),
    lastSeenAt: z.int().nullable(),
    connectedAt: z.int().nullable(),
    /** The last hello or state report as the device sent it (what it said at enrollment before that). */
    reportedState: reportedStateSchema.nullable(),
    reportedAt: z.int().nullable(),
    appliedRev: z.int(),
    desiredRev: z.int(),
    /**
     * The device's clock minus the server's at its last hello or state message (ms, transit time included); null
     * before one came. Telemetry windows are moved by it into the server's clock.
     */
    clockOffsetMs: z.int().nullable(),
  })
  .meta({
    id: 'Device',
    example: {
      id: 'st-1',
      name: 'Line 3 camera',
      labels: { site: 'plant-a', line: '3' },
      createdAt: 1764000000000,
      disabled: false,
      disabledAt: null,
      online: true,
      epoch: 3,
      lastSeenAt: 1764000600000,
      connectedAt: 1764000500000,
      reportedState: EXAMPLE_REPORTED,
      reportedAt: 1764000500000,
      appliedRev: 7,
      desiredRev: 7,
      clockOffsetMs: 42,
    },
  });
/** A device as the admin API shows it. */
export type Device = z.infer<typeof deviceSchema>;

/** Query of `GET /api/v1/devices`. */
export const deviceListQuerySchema = z.object({
  selector: z.string().max(4096).default('').meta({ example: 'site=plant-a,line in (3,4)' }),
  online: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number<number>().int().min(1).max(1000).default(100),
  offset: z.coerce.number<number>().int().min(0).default(0),
});

/** A page of devices and how many match in all. */
export const deviceListSchema = z
  .object({ devices: z.array(deviceSchema), total: z.int() })
  .meta({ id: 'DeviceList', example: { devices: [], total: 0 } });
/** A page of devices. */
export type DeviceList = z.infer<typeof deviceListSchema>;

/** Body of `PATCH /api/v1/devices/{id}`: rename, label (merge patch, null removes), disable / enable. */
export const devicePatchSchema = z
  .strictObject({
    name: z.string().max(128).nullable().optional(),
    labels: z.record(labelKeySchema, z.string().max(128).nullable()).optional(),
    disabled: z.boolean().optional(),
  })
  .meta({ id: 'DevicePatch', example: { labels: { line: '4', canary: null } } });
/** Body of `PATCH /api/v1/devices/{id}`. */
export type DevicePatch = z.infer<typeof devicePatchSchema>;

/** An enrollment token as listed (never the token itself). */
export const enrollmentTokenSchema = z
  .object({
    id: z.string(),
    labels: z.record(z.string(), z.string()),
    deviceLabelKeys: z.array(z.string()),
    maxUses: z.int().nullable(),
    uses: z.int(),
    expiresAt: z.int().nullable(),
    createdAt: z.int(),
    revokedAt: z.int().nullable(),
  })
  .meta({
    id: 'EnrollmentToken',
    example: {
      id: 'enr_0123456789abcdef01234567',
      labels: { site: 'plant-a' },
      deviceLabelKeys: ['station'],
      maxUses: 10,
      uses: 2,
      expiresAt: 1764086400000,
      createdAt: 1764000000000,
      revokedAt: null,
    },
  });
/** An enrollment token as listed. */
export type EnrollmentToken = z.infer<typeof enrollmentTokenSchema>;

/** A new enrollment token: `token` is shown this once. */
export const createdEnrollmentTokenSchema = enrollmentTokenSchema.extend({ token: z.string() }).meta({
  id: 'CreatedEnrollmentToken',
  example: {
    id: 'enr_0123456789abcdef01234567',
    labels: { site: 'plant-a' },
    deviceLabelKeys: ['station'],
    maxUses: 10,
    uses: 0,
    expiresAt: 1764086400000,
    createdAt: 1764000000000,
    revokedAt: null,
    token: 'efe_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  },
});

/** Body of `POST /api/v1/enrollment-tokens`. */
export const enrollmentTokenCreateSchema = z
  .object({
    /** Labels every device enrolled with the token gets; only these (and `deviceLabelKeys`) count for selectors. */
    labels: z._default(labelsSchema, {}),
    /** Label keys a device may set itself when it enrolls (e.g. `station`); any other device label is refused. */
    deviceLabelKeys: z.array(labelKeySchema).max(32).default([]),
    /** How many devices may enroll with it: 1 unless said otherwise (a token is never unlimited). */
    maxUses: z.int().min(1).max(100_000).default(1),
    /** Lifetime: 24 h unless said otherwise, at most 30 days (a token never lives forever). */
    expiresInS: z
      .int()
      .min(1)
      .max(30 * 86_400)
      .default(86_400),
  })
  .meta({
    id: 'EnrollmentTokenCreate',
    example: { labels: { site: 'plant-a' }, deviceLabelKeys: ['station'], maxUses: 10, expiresInS: 86_400 },
  });
/** Body of `POST /api/v1/enrollment-tokens`. */
export type EnrollmentTokenCreate = z.infer<typeof enrollmentTokenCreateSchema>;

/** `POST /api/v1/enroll` request, as the agent sends it. */
export const enrollRequestApiSchema = z.object(enrollRequestSchema.shape).meta({
  id: 'EnrollRequest',
  example: {
    enrollmentToken: 'efe_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    deviceId: 'st-1',
    labels: { line: '3' },
    capabilities: { platform: 'node', os: 'linux', arch: 'x64', backends: ['cpu'], cpuCount: 4 },
    agentVersion: '0.1.0',
  },
});
/** `POST /api/v1/enroll` answer: the device's own credentials and endpoints. */
export const enrollResponseApiSchema = z.object(enrollResponseSchema.shape).meta({
  id: 'EnrollResponse',
  example: {
    deviceId: 'st-1',
    fleet: 'plant-a',
    deviceToken: 'st-1.4fJx0c9mQ2vR7tYb1nZ8aKsLp3Wd6Hy',
    mqttUrl: 'mqtt://10.0.0.5:1883',
    apiUrl: 'http://10.0.0.5:8080',
    signingKeys: [EXAMPLE_JWK],
  },
});

/** Path parameters naming a device (or another thing by id). */
export const idParamsSchema = z.object({ id: idSchema });

const devices = `${API_PREFIX}/devices`;
const tokens = `${API_PREFIX}/enrollment-tokens`;

/** Enrollment tokens, enrollment, and device administration. */
export const deviceRoutes = [
  defineRoute({
    method: 'post',
    path: tokens,
    body: enrollmentTokenCreateSchema,
    responses: { 201: createdEnrollmentTokenSchema },
  }),
  defineRoute({
    method: 'get',
    path: tokens,
    responses: {
      200: z
        .object({ tokens: z.array(enrollmentTokenSchema) })
        .meta({ id: 'EnrollmentTokenList', example: { tokens: [] } }),
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${tokens}/{id}`,
    params: idParamsSchema,
    responses: { 200: enrollmentTokenSchema },
  }),
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/enroll`,
    body: enrollRequestApiSchema,
    responses: { 201: enrollResponseApiSchema },
  }),
  defineRoute({
    method: 'get',
    path: devices,
    query: deviceListQuerySchema,
    responses: { 200: deviceListSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${devices}/{id}`,
    params: idParamsSchema,
    responses: { 200: deviceSchema },
  }),
  defineRoute({
    method: 'patch',
    path: `${devices}/{id}`,
    params: idParamsSchema,
    body: devicePatchSchema,
    responses: { 200: deviceSchema },
  }),
  defineRoute({
    method: 'delete',
    path: `${devices}/{id}`,
    params: idParamsSchema,
    responses: { 204: null },
  }),
  defineRoute({ method: 'get', path: `${API_PREFIX}/device`, responses: { 200: deviceSchema } }),
] as const;
