import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['*/vitest.config.ts'],
    // Vitest's default is one worker less than the cores: on a 2-core CI machine that runs every file in turn. Most
    // files wait on real processes (servers, agents, Chromium, brokers) rather than compute, so two at a time on 2
    // cores took the suite from ~19-23 min to ~9 min with every test passing (each test brings up its own server,
    // data dir, fleet id and ports, so files never share state).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
