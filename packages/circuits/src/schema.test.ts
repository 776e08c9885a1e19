/** The config section: defaults, strictness, and refusals with the field's path. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseSection } from '@sortscope/core';
import { tokenSets } from './circuit-measures.ts';
import { CircuitsConfigSchema } from './schema.ts';

describe('CircuitsConfigSchema', () => {
  it('fills every default', () => {
    expect(CircuitsConfigSchema.parse({})).toEqual({
      seed: 0,
      conventions: ['folded', 'raw-normalised'],
      null_samples: 200,
      edge_tokens: 2,
      ablation_rows: 250,
      probe_rows: 200,
      batch_size: 500,
      specialisation: { convention: 'raw-normalised' },
    });
  });

  it('refuses unknown keys, unknown or repeated conventions, with the path', () => {
    const parse = (raw: unknown) => parseSection(CircuitsConfigSchema, raw, { source: 'test.json', prefix: ['circuits'] });
    expect(() => parse({ null_sample: 3 })).toThrowError(ConfigError);
    expect(() => parse({ null_sample: 3 })).toThrowError(/null_sample/);
    expect(() => parse({ conventions: ['folded', 'raw'] })).toThrowError(/circuits\.conventions/);
    expect(() => parse({ conventions: ['folded', 'folded'] })).toThrowError(/each convention at most once/);
    expect(() => parse({ conventions: [] })).toThrowError(/circuits\.conventions/);
    expect(() => parse({ specialisation: { convention: 'tl' } })).toThrowError(/circuits\.specialisation\.convention/);
  });

  it('edge_tokens must leave at least 2 number tokens', () => {
    expect(tokenSets(52, 24).inner).toEqual([24, 25, 26]);
    expect(() => tokenSets(52, 25)).toThrowError(/circuits\.edge_tokens: got 25; expected at most 24/);
  });
});
