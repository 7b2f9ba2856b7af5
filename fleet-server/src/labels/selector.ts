import { fail, ok, type Result } from '@edgefleet/shared';

/** One condition of a label selector. */
export type Requirement =
  | { key: string; op: 'eq' | 'neq'; values: [string] }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists'; values: [] };

/** A parsed label selector: every requirement must hold (AND); no requirement matches everything. */
export interface Selector {
  requirements: Requirement[];
}

/** Longest selector text accepted. */
export const MAX_SELECTOR_LENGTH = 4096;

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}/;
const VALUE = /^[A-Za-z0-9._/:@+-]{0,128}/;

class Cursor {
  index = 0;
  constructor(readonly text: string) {}
  skipSpaces(): void {
    while (this.text[this.index] === ' ') this.index++;
  }
  take(pattern: RegExp): string | null {
    const match = pattern.exec(this.text.slice(this.index));
    if (!match) return null;
    this.index += match[0].length;
    return match[0];
  }
  eat(literal: string): boolean {
    if (!this.text.startsWith(literal, this.index)) return false;
    this.index += literal.length;
    return true;
  }
  get done(): boolean {
    return this.index >= this.text.length;
  }
}

const invalid = (cursor: Cursor, expected: string) =>
  fail({
    kind: 'invalid' as const,
    message: `selector: expected ${expected} at position ${cursor.index} of '${cursor.text}'`,
    path: 'selector',
  });

function parseValueList(cursor: Cursor): string[] | null {
  if (!cursor.eat('(')) return null;
  const values: string[] = [];
  for (;;) {
    cursor.skipSpaces();
    const value = cursor.take(VALUE);
    if (!value) return null;
    values.push(value);
    cursor.skipSpaces();
    if (cursor.eat(')')) return values;
    if (!cursor.eat(',')) return null;
  }
}

function parseRequirement(cursor: Cursor): Result<Requirement> {
  cursor.skipSpaces();
  if (cursor.eat('!')) {
    const key = cursor.take(KEY);
    return key ? ok({ key, op: 'notexists', values: [] }) : invalid(cursor, 'a label key after !');
  }
  const key = cursor.take(KEY);
  if (!key) return invalid(cursor, 'a label key');
  cursor.skipSpaces();
  if (cursor.eat('!=')) {
    cursor.skipSpaces();
    return ok({ key, op: 'neq', values: [cursor.take(VALUE) ?? ''] });
  }
  if (cursor.eat('==') || cursor.eat('=')) {
    cursor.skipSpaces();
    return ok({ key, op: 'eq', values: [cursor.take(VALUE) ?? ''] });
  }
  for (const op of ['notin', 'in'] as const) {
    if (cursor.eat(`${op} `) || cursor.eat(`${op}(`)) {
      if (cursor.text[cursor.index - 1] === '(') cursor.index--;
      cursor.skipSpaces();
      const values = parseValueList(cursor);
      return values ? ok({ key, op, values }) : invalid(cursor, `a value list like (a,b) after ${op}`);
    }
  }
  return ok({ key, op: 'exists', values: [] });
}

/**
 * Parses a Kubernetes-style label selector: `site=plant-a,line!=3,station in (7,8),!canary,gpu`.
 * Requirements are ANDed; the empty string selects everything. Never throws.
 */
export function parseSelector(text: string): Result<Selector> {
  if (text.length > MAX_SELECTOR_LENGTH) {
    return fail({
      kind: 'too_large',
      message: `selector longer than ${MAX_SELECTOR_LENGTH}`,
      path: 'selector',
    });
  }
  const cursor = new Cursor(text);
  const requirements: Requirement[] = [];
  cursor.skipSpaces();
  if (cursor.done) return ok({ requirements });
  for (;;) {
    const requirement = parseRequirement(cursor);
    if (!requirement.ok) return requirement;
    requirements.push(requirement.value);
    cursor.skipSpaces();
    if (cursor.done) return ok({ requirements });
    if (!cursor.eat(',')) return invalid(cursor, "',' or the end");
  }
}

/** Whether `labels` satisfy every requirement of `selector`. */
export function matchesSelector(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  return selector.requirements.every((req) => {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    switch (req.op) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'eq':
        return has && value === req.values[0];
      case 'neq':
        return !has || value !== req.values[0];
      case 'in':
        return has && req.values.includes(value as string);
      default:
        return !has || !req.values.includes(value as string);
    }
  });
}

/** Canonical text of a selector (round-trips through parseSelector). */
export function formatSelector(selector: Selector): string {
  return selector.requirements
    .map((req) => {
      switch (req.op) {
        case 'exists':
          return req.key;
        case 'notexists':
          return `!${req.key}`;
        case 'eq':
          return `${req.key}=${req.values[0]}`;
        case 'neq':
          return `${req.key}!=${req.values[0]}`;
        default:
          return `${req.key} ${req.op} (${req.values.join(',')})`;
      }
    })
    .join(',');
}
