import { defineConfig } from 'vitest/config';

// One vitest project per package, each with its own small config; tools/ holds the layout's own checks.
export default defineConfig({
  test: {
    projects: ['packages/*', { test: { name: 'tools', include: ['tools/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 600_000 } }],
  },
});
