import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS, AGENT_SHEBANG } from '../../scripts/node-flags.mjs';

describe('the node flags the agent ships with', () => {
  it('are in the bin shebang, so pnpm and npm bin shims pass them to node', () => {
    const bin = readFileSync(fileURLToPath(new URL('../../bin/edgefleet-agent.js', import.meta.url)), 'utf8');
    expect(bin.split('\n')[0]).toBe(AGENT_SHEBANG);
    expect(AGENT_SHEBANG).toBe(`#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
    // Only flags node accepts on its command line and in NODE_OPTIONS.
    for (const flag of AGENT_NODE_FLAGS)
      expect(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!)).toBe(true);
  });
});
