import { defineConfig } from 'vitest/config';

// One vitest project per package (each has its own small config) plus the CLI in src/.
export default defineConfig({
  test: {
    projects: ['packages/*', { test: { name: 'cli', include: ['src/**/*.test.ts'], testTimeout: 60_000 } }],
  },
});
