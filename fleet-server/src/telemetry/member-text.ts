// Finds the raw text of one top-level member of a JSON object, so a report's profile can be stored as
// received instead of being serialised again (JSON.stringify of a 3 kB profile costs more than this scan).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just after the string whose opening quote is at `i`. */
function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return text.length;
    let slashes = 0;
    for (let b = q - 1; text.charCodeAt(b) === BACKSLASH; b--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** Index just after the JSON value starting at `i`. */
function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return skipString(text, i);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i = skipString(text, i);
        continue;
      }
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c)) break;
    i++;
  }
  return i;
}

/**
 * The raw text of member `name` of the JSON object `text` — which must already have passed
 * `JSON.parse` — or undefined when unsure: not an object, the name absent, written with escapes or
 * repeated (JSON.parse keeps the last one), or `__proto__` anywhere (our parser drops those keys).
 * @example memberText('{"a":1,"profile":{"v":1}}', 'profile') // '{"v":1}'
 */
export function memberText(text: string, name: string): string | undefined {
  if (text.includes('__proto__')) return undefined;
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return undefined;
  let found: string | undefined;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = skipString(text, i) - 1;
    const slash = text.indexOf('\\', i + 1);
    if (slash >= 0 && slash < keyEnd) return undefined;
    const isName = keyEnd - i - 1 === name.length && text.startsWith(name, i + 1);
    i = skipSpace(text, keyEnd + 1);
    if (text.charCodeAt(i) !== 0x3a) return undefined;
    const start = skipSpace(text, i + 1);
    i = skipValue(text, start);
    if (isName) {
      if (found !== undefined) return undefined;
      found = text.slice(start, i);
    }
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return found;
    if (c !== 0x2c) return undefined;
    i = skipSpace(text, i + 1);
  }
}
