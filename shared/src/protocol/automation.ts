import { z } from '../zod';

/** The automation ladder of a model deployment, from "the model only watches" to "the model decides alone". */
export const AUTOMATION_LEVELS = ['shadow', 'assist', 'partial', 'full'] as const;
/** One step of the automation ladder. */
export type AutomationLevel = (typeof AUTOMATION_LEVELS)[number];

/**
 * How much a deployment may decide alone. `shadow`: the model runs, its answer is recorded, the operator's
 * decision is the result; `assist`: the answer is a suggestion, a human decides; `partial`: the model decides
 * when its top-1 confidence ≥ `minConfidence` (τ) and its margin ≥ `minMargin` (μ), everything else goes to
 * review; `full`: the model decides. Absent in a desired state means `full` (what agents did before).
 */
export const automationSchema = z.discriminatedUnion('level', [
  z.strictObject({ level: z.literal('shadow') }),
  z.strictObject({ level: z.literal('assist') }),
  z.strictObject({
    level: z.literal('partial'),
    /** τ: smallest top-1 confidence the model decides alone at. */
    minConfidence: z.number().check(z.gte(0), z.lte(1)),
    /** μ: smallest margin (top-1 minus top-2 confidence) the model decides alone at. */
    minMargin: z.number().check(z.gte(0), z.lte(1)),
  }),
  z.strictObject({ level: z.literal('full') }),
]);
/** How much a deployment may decide alone. */
export type Automation = z.infer<typeof automationSchema>;

/** A level as a rollout's stages write it: `shadow`, `assist`, `partial(0.9,0.2)`, `full`. */
export function formatAutomation(a: Automation): string {
  return a.level === 'partial' ? `partial(${a.minConfidence},${a.minMargin})` : a.level;
}

/** What a deployment without an automation setting does: the model decides. */
export const DEFAULT_AUTOMATION: Automation = { level: 'full' };

/** Who decides one inference: the model (`auto`) or a human (`review`). */
export type DecisionRoute = 'auto' | 'review';
/** The routes, in the order aggregates list them. */
export const DECISION_ROUTES = ['auto', 'review'] as const;

/** The route of one inference and why, as the agent's answer and result file carry it. */
export interface Decision {
  route: DecisionRoute;
  reason: string;
}

/**
 * Routes one inference by the automation level. A model without a readable top class (not a classifier, a
 * bad output) never decides alone below `full`.
 * @example decideRoute({ level: 'partial', minConfidence: 0.9, minMargin: 0.5 }, { confidence: 0.97, margin: 0.94 }) // auto
 */
export function decideRoute(
  automation: Automation,
  top: { confidence: number; margin: number } | undefined,
): Decision {
  switch (automation.level) {
    case 'full':
      return { route: 'auto', reason: 'full: the model decides' };
    case 'shadow':
      return { route: 'review', reason: 'shadow: the operator decides, the model answer is only recorded' };
    case 'assist':
      return { route: 'review', reason: 'assist: the model answer is a suggestion, a human decides' };
    case 'partial': {
      const { minConfidence: tau, minMargin: mu } = automation;
      if (!top) return { route: 'review', reason: 'partial: no top class to judge, a human decides' };
      const sure = top.confidence >= tau && top.margin >= mu;
      const how = `confidence ${round(top.confidence)} ${top.confidence >= tau ? '≥' : '<'} τ ${tau}, margin ${round(top.margin)} ${top.margin >= mu ? '≥' : '<'} μ ${mu}`;
      return sure
        ? { route: 'auto', reason: `partial: ${how}` }
        : { route: 'review', reason: `partial: ${how}; a human decides` };
    }
  }
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
