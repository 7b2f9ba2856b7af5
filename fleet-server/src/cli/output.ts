import type { CliIo } from './io';

// Output of the admin commands: aligned tables and key/value blocks for people, JSON for scripts.

/** C0 and C1 control characters (ESC, CR, BEL, CSI …). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Characters that would move the cursor or recolour a terminal are shown escaped (server data is untrusted). */
export function printable(value: unknown): string {
  const text = value === null || value === undefined ? '-' : String(value);
  return text.replace(CONTROL_CHARS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Multi-line text with control characters escaped in each line (line breaks kept). */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [headers.map(String), ...rows.map((row) => row.map(printable))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => [...(row[i] ?? '')].length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : cell.padEnd(widths[i]! + (cell.length - [...cell].length)),
      )
      .join('  ')
      .trimEnd();
  return `${cells.map(line).join('\n')}\n`;
}

/** `key  value` lines with aligned values. */
export function keyValues(pairs: readonly (readonly [string, unknown])[], indent = ''): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return `${pairs.map(([k, v]) => `${indent}${k.padEnd(width)}  ${printable(v)}`).join('\n')}\n`;
}

/** Pretty JSON on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** An epoch-ms time as `2026-11-23 14:05:09Z`, or `-`. */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** `1.2 MB`, `640 B`. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A number with 3 significant digits, or `n/a`. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
}

/** `k=v,k2=v2`. */
export function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
