import { defineConfig } from 'vitest/config';

// test-setup.ts removes the artifacts/ folders the CLI tests leave empty, once all have run.
export default defineConfig({ test: { name: 'cli', include: ['src/**/*.test.ts'], globalSetup: ['src/test-setup.ts'], testTimeout: 300_000, hookTimeout: 600_000 } });
