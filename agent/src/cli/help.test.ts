import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main';

describe('edgefleet-agent help', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints the usage and exits 0 on --help, 2 on an unknown command', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    expect(await main(['--help'], {})).toBe(0);
    expect(out.join('')).toContain('enroll --server URL --token ENROLL_TOKEN');
    expect(await main(['frobnicate'], {})).toBe(2);
  });
});
