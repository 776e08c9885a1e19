import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentJsonSchema } from './schema-command.ts';

describe('docs/experiment.schema.json', () => {
  it('is up to date (regenerate: npx sortscope schema --out docs/experiment.schema.json)', () => {
    expect(readFileSync(resolve(import.meta.dirname, '../docs/experiment.schema.json'), 'utf8')).toBe(experimentJsonSchema());
  });
});
