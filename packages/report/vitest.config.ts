import { defineConfig } from 'vitest/config';

// test-setup.ts builds one tiny study (every stage, small settings) that the test files share.
export default defineConfig({ test: { name: 'report', include: ['src/**/*.test.ts'], globalSetup: ['src/test-setup.ts'], testTimeout: 600_000, hookTimeout: 300_000 } });
