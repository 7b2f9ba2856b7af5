import type * as core from 'zod/v4/core';
import { appPlanSchema } from './app-plan';
import { desiredStateSchema } from './desired';
import { enrollRequestSchema, enrollResponseSchema, modelVersionCreateSchema } from './http';
import * as limits from './limits';
import { manifestSchema, modelRefSchema, signedManifestSchema } from './manifest';
import { presenceSchema, reportedSchema } from './reported';
import * as samples from './samples';
import { ackSchema, telemetryBatchSchema, telemetryReportSchema } from './telemetry';

// The table driving hostile.test.ts: every schema with a valid sample and what may be left out.

/** One schema under test. */
export interface HostileCase {
  name: string;
  schema: core.$ZodType;
  sample: () => unknown;
  maxBytes: number;
  /** Paths that may be left out. */
  optional: string[];
  /** Real-valued fields that must be non-negative (integer ones are covered by the counter test). */
  nonNegative?: string[];
  /** Subtrees validated elsewhere (sketch tuples, checked by Profile.fromJSON): any JSON value is fine there. */
  opaque?: string[];
  versioned: boolean;
}

/** Moments tuples inside a profile are `unknown[]` to the protocol; `Profile.fromJSON` checks their items. */
const sketchTuples = (at: string): string[] => [`${at}.inputs.0.m`, `${at}.outputs.0.m`];

const softwareDurations = (at: string): string[] =>
  ['cpuUserMs', 'cpuSystemMs', 'eventLoopDelayP50Ms', 'eventLoopDelayP99Ms', 'eventLoopDelayMaxMs'].map(
    (field) => `${at}.${field}`,
  );

/** Process figures browsers leave out (they report only capture counters in `software`). */
const softwareOptional = (at: string): string[] =>
  [
    'rssBytes',
    'heapUsedBytes',
    'cpuUserMs',
    'cpuSystemMs',
    'eventLoopDelayP50Ms',
    'eventLoopDelayP99Ms',
    'eventLoopDelayMaxMs',
  ].map((field) => `${at}.${field}`);

const refOptional = (at: string): string[] => [`${at}.goldenUrl`];

/** Every message and body schema with a valid sample. */
export const hostileCases: HostileCase[] = [
  {
    name: 'desired',
    schema: desiredStateSchema,
    sample: samples.sampleDesired,
    maxBytes: limits.MAX_DESIRED_BYTES,
    optional: [...refOptional('models.active'), ...refOptional('models.standby')],
    versioned: true,
  },
  {
    name: 'reported hello',
    schema: reportedSchema,
    sample: samples.sampleHello,
    maxBytes: limits.MAX_REPORTED_BYTES,
    optional: ['capabilities.os', 'capabilities.arch', 'capabilities.cpuCount'],
    versioned: true,
  },
  {
    name: 'reported state',
    schema: reportedSchema,
    sample: samples.sampleState,
    maxBytes: limits.MAX_REPORTED_BYTES,
    optional: ['errors.0.model', 'errors.0.rev'],
    versioned: true,
  },
  {
    name: 'presence',
    schema: presenceSchema,
    sample: samples.samplePresence,
    maxBytes: limits.MAX_PRESENCE_BYTES,
    optional: [],
    versioned: true,
  },
  {
    name: 'telemetry',
    schema: telemetryReportSchema,
    sample: samples.sampleTelemetry,
    maxBytes: limits.MAX_TELEMETRY_BYTES,
    optional: ['runtime.fallbackReason', 'software', ...softwareOptional('software')],
    nonNegative: softwareDurations('software'),
    opaque: sketchTuples('profile'),
    versioned: true,
  },
  {
    name: 'telemetry batch',
    schema: telemetryBatchSchema,
    sample: samples.sampleBatch,
    maxBytes: limits.MAX_TELEMETRY_BATCH_BYTES,
    optional: [
      'reports.0.runtime.fallbackReason',
      'reports.1.runtime.fallbackReason',
      'reports.0.software',
      'reports.1.software',
      ...softwareOptional('reports.0.software'),
      ...softwareOptional('reports.1.software'),
    ],
    nonNegative: [...softwareDurations('reports.0.software'), ...softwareDurations('reports.1.software')],
    opaque: [...sketchTuples('reports.0.profile'), ...sketchTuples('reports.1.profile')],
    versioned: false,
  },
  {
    name: 'ack',
    schema: ackSchema,
    sample: samples.sampleAck,
    maxBytes: limits.MAX_ACK_BYTES,
    optional: ['seqs'],
    versioned: true,
  },
  {
    name: 'app plan',
    schema: appPlanSchema,
    sample: samples.sampleAppPlan,
    maxBytes: limits.MAX_APP_PLAN_BYTES,
    optional: [
      ...refOptional('models.0.current'),
      ...refOptional('models.0.candidate.ref'),
      'models.0.candidate',
      'policies.inferenceTimeoutMs',
    ],
    versioned: true,
  },
  {
    name: 'manifest',
    schema: manifestSchema,
    sample: samples.sampleManifest,
    maxBytes: limits.DEFAULT_MAX_MESSAGE_BYTES,
    optional: ['goldenSha256'],
    versioned: true,
  },
  {
    name: 'signed manifest',
    schema: signedManifestSchema,
    sample: samples.sampleSignedManifest,
    maxBytes: limits.DEFAULT_MAX_MESSAGE_BYTES,
    optional: ['manifest.goldenSha256'],
    versioned: false,
  },
  {
    name: 'model ref',
    schema: modelRefSchema,
    sample: samples.sampleModelRef,
    maxBytes: limits.DEFAULT_MAX_MESSAGE_BYTES,
    optional: ['goldenUrl'],
    versioned: false,
  },
  {
    name: 'enroll request',
    schema: enrollRequestSchema,
    sample: samples.sampleEnrollRequest,
    maxBytes: limits.MAX_ENROLL_BYTES,
    optional: ['labels.site', 'labels.line'],
    versioned: false,
  },
  {
    name: 'enroll response',
    schema: enrollResponseSchema,
    sample: samples.sampleEnrollResponse,
    maxBytes: limits.MAX_ENROLL_BYTES,
    optional: ['signingKeys.0.kid'],
    versioned: false,
  },
  {
    name: 'model version create',
    schema: modelVersionCreateSchema,
    sample: samples.sampleModelVersionCreate,
    maxBytes: limits.MAX_MODEL_VERSION_CREATE_BYTES,
    optional: [
      'baseline.spec.classes',
      'golden',
      'lineage.trainingDataSha256',
      'lineage.codeRevision',
      'lineage.params',
      'lineage.params.lr',
      'lineage.params.arch',
      'lineage.params.augment',
      'lineage.metrics',
      'lineage.metrics.accuracy',
    ],
    opaque: sketchTuples('baseline.profile'),
    versioned: false,
  },
];
