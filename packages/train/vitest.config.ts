import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'train', include: ['src/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 } });
