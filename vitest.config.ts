import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One vitest project per package, each with its own small config; tools/ holds the layout's own checks.
// Test files run two at a time even on 2 cores (vitest's default is cores − 1, i.e. one file at a time
// there): most files wait on child processes or on one thread, so a second file fills the other core.
// CLI test files that write under the repository's artifacts/ use configs of their own (distinct keys).
export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: ['packages/*', { test: { name: 'tools', include: ['tools/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 600_000 } }],
  },
});
