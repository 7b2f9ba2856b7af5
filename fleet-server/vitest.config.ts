import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'fleet-server',
    include: ['src/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
