import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memberText } from './member-text';

describe('memberText', () => {
  it('returns the raw text of a top-level member that JSON.parse reads the same way', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.jsonValue(),
        fc.constantFrom('', ' ', '\n\t '),
        (rest, profile, space) => {
          const { profile: _, ...others } = rest;
          const text = JSON.stringify({ ...others, profile }, null, space);
          const found = memberText(text, 'profile');
          const escapedKey = Object.keys(others).some((k) => JSON.stringify(k).includes('\\'));
          if (text.includes('__proto__') || escapedKey) return; // it may bail there
          expect(found).toBeDefined();
          expect(JSON.parse(found!)).toEqual(JSON.parse(text).profile);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is undefined when unsure: absent, repeated, escaped, __proto__ or not an object', () => {
    expect(memberText('{"a":{"profile":1}}', 'profile')).toBeUndefined();
    expect(memberText('{"profile":1,"profile":2}', 'profile')).toBeUndefined();
    expect(memberText('{"pro\\u0066ile":1}', 'profile')).toBeUndefined();
    expect(memberText('{"profile":{"__proto__":{}}}', 'profile')).toBeUndefined();
    expect(memberText('[{"profile":1}]', 'profile')).toBeUndefined();
    expect(memberText('{}', 'profile')).toBeUndefined();
  });

  it('skips strings holding brackets, quotes and backslashes', () => {
    const text = '{"a":"}\\"]{","profile" : {"k":["\\\\",{"x":"]"}]} ,"b":[1,{"c":"\\""}]}';
    expect(memberText(text, 'profile')).toBe('{"k":["\\\\",{"x":"]"}]}');
    expect(memberText('{"profile":-1.5e3}', 'profile')).toBe('-1.5e3');
  });
});
