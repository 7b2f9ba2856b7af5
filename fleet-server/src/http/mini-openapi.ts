import * as mini from 'zod/mini';

/**
 * Lets zod-to-openapi document the shared contract schemas, which are written with zod/mini (see
 * shared/src/zod.ts): the generator reads a few members that only zod classic schemas carry (`meta()`, `unwrap()`,
 * a record's `keyType`/`valueType`, a number's or string's `format`, a string's `minLength`/`maxLength`). Each
 * is installed on the zod/mini prototypes, read from the schema's own definition exactly as classic derives it,
 * where it is missing. Parsing is untouched.
 */
export function documentMiniSchemas(): void {
  const members: PropertyDescriptorMap = {
    meta: {
      value(this: mini.ZodMiniType, metadata?: Record<string, unknown>) {
        if (metadata === undefined) return mini.globalRegistry.get(this);
        return this.check(mini.meta(metadata as Parameters<typeof mini.meta>[0]));
      },
    },
    unwrap: {
      value(this: mini.ZodMiniType) {
        return (this._zod.def as { innerType?: unknown }).innerType;
      },
    },
    keyType: { get: defField('keyType') },
    valueType: { get: defField('valueType') },
    format: { get: checkField('format') },
    minLength: { get: checkField('minimum') },
    maxLength: { get: checkField('maximum') },
  };
  for (const value of Object.values(mini)) {
    if (typeof value !== 'function' || !value.name.startsWith('ZodMini') || !value.prototype) continue;
    for (const [name, descriptor] of Object.entries(members)) {
      if (!(name in value.prototype))
        Object.defineProperty(value.prototype, name, { ...descriptor, configurable: true });
    }
  }
}

function defField(name: string) {
  return function (this: mini.ZodMiniType): unknown {
    return (this._zod.def as unknown as Record<string, unknown>)[name];
  };
}

interface CheckDef {
  check?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  length?: number;
}

/** Format and length bounds from a schema's checks (a format schema, e.g. `z.int()`, is its own first check). */
function checkField(name: 'format' | 'minimum' | 'maximum') {
  return function (this: mini.ZodMiniType): unknown {
    const own = this._zod.def as { checks?: { _zod: { def: CheckDef } }[] };
    const list = [
      ...(this._zod.traits.has('$ZodCheck') ? [this as { _zod: { def: CheckDef } }] : []),
      ...(own.checks ?? []),
    ];
    const agg: { format?: string; minimum?: number; maximum?: number } = {};
    for (const { _zod } of list) {
      const d = _zod.def;
      if ((d.check === 'number_format' || d.check === 'string_format') && agg.format === undefined)
        agg.format = d.format;
      if (d.check === 'min_length' && d.minimum !== undefined)
        agg.minimum = Math.max(agg.minimum ?? 0, d.minimum);
      if (d.check === 'max_length' && d.maximum !== undefined)
        agg.maximum = Math.min(agg.maximum ?? Number.POSITIVE_INFINITY, d.maximum);
      if (d.check === 'length_equals' && d.length !== undefined) agg.minimum = agg.maximum = d.length;
    }
    return agg[name] ?? null;
  };
}
