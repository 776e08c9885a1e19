import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentJsonSchema, sweepJsonSchema } from './json-schemas.ts';

describe('docs/experiment.schema.json', () => {
  it('is up to date (regenerate: npx sortscope schema --out docs/experiment.schema.json)', () => {
    expect(readFileSync(resolve(import.meta.dirname, '../../../docs/experiment.schema.json'), 'utf8')).toBe(experimentJsonSchema());
  });
  it('docs/sweep.schema.json is up to date (npx sortscope schema --sweep --out docs/sweep.schema.json)', () => {
    expect(readFileSync(resolve(import.meta.dirname, '../../../docs/sweep.schema.json'), 'utf8')).toBe(sweepJsonSchema());
  });
});
