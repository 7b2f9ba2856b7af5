import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'web-runtime', include: ['src/**/*.test.ts'] },
});
