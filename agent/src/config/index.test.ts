import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from './index';

describe('loadAgentConfig', () => {
  it('takes flags over env over defaults', () => {
    const { config, positionals } = loadAgentConfig(
      ['run', '--http-port', '9000', '--label', 'site=a', '--label', 'line=2'],
      {
        EDGEFLEET_AGENT_HTTP_PORT: '9100',
        EDGEFLEET_AGENT_THREADS: '3',
      },
    );
    expect(positionals).toEqual(['run']);
    expect(config.httpPort).toBe(9000);
    expect(config.threads).toBe(3);
    expect(config.httpHost).toBe('127.0.0.1');
    expect(config.labels).toEqual({ site: 'a', line: '2' });
  });
  it('names the flag and env var of a bad value', () => {
    expect(() => loadAgentConfig(['--threads', 'many'], {})).toThrow(/--threads \/ EDGEFLEET_AGENT_THREADS/);
    expect(() => loadAgentConfig(['--label', 'nope'], {})).toThrow(/k=v/);
  });
});
