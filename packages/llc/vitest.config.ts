import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'llc', include: ['src/**/*.test.ts'], testTimeout: 1_200_000, hookTimeout: 600_000 } });
