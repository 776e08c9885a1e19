import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deepMerge, nearest, parseSection } from './config.ts';
import { ConfigError } from './errors.ts';

const Schema = z
  .object({
    n: z.int().min(1).default(10),
    name: z.string().default('x'),
    noise: z
      .discriminatedUnion('kind', [z.object({ kind: z.literal('none') }).strict(), z.object({ kind: z.literal('permute'), p: z.number().min(0).max(1) }).strict()])
      .prefault({ kind: 'none' }),
  })
  .strict();

function message(raw: unknown): string {
  try {
    parseSection(Schema, raw, { source: 'exp.json', prefix: ['dataset'] });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseSection', () => {
  it('applies defaults, including inside prefaulted unions', () => {
    expect(parseSection(Schema, {}, { source: 's' })).toEqual({ n: 10, name: 'x', noise: { kind: 'none' } });
  });
  it('names the source, the field path, the value and what was expected', () => {
    expect(message({ n: 2.5 })).toBe('invalid config in exp.json:\n  dataset.n: got 2.5; expected an integer');
    expect(message({ n: 0 })).toMatch(/dataset\.n: got 0; expected a number >= 1/);
    expect(message({ noise: { kind: 'permute', p: 1.5 } })).toMatch(/dataset\.noise\.p: got 1\.5; expected a number <= 1/);
    expect(message({ noise: { kind: 'permute' } })).toMatch(/dataset\.noise\.p: missing; expected a number/);
    expect(message({ name: 3 })).toMatch(/dataset\.name: got 3; expected a string/);
  });
  it('a value nested too deep to print (#29): its outline, not a stack overflow; an object takes "an"', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
    expect(message({ n: deep })).toBe('invalid config in exp.json:\n  dataset.n: got { …nested too deep to show… }; expected a number');
    const deepList = JSON.parse(`${'['.repeat(20000)}${']'.repeat(20000)}`);
    expect(message({ noise: deepList })).toBe('invalid config in exp.json:\n  dataset.noise: got [ …nested too deep to show… ]; expected an object');
  });
  it('lists the allowed values of a discriminator', () => {
    expect(message({ noise: { kind: 'perm' } })).toMatch(/dataset\.noise\.kind: got "perm"; expected one of "none", "permute"/);
  });
  it('refuses unknown keys with the allowed keys and a suggestion', () => {
    expect(message({ nosie: {} })).toMatch(/dataset\.nosie: unknown key; expected one of n, name, noise \(did you mean "noise"\?\)/);
    expect(message({ noise: { kind: 'permute', p: 0.1, q: 1 } })).toMatch(/dataset\.noise\.q: unknown key; expected one of kind, p/);
  });
  it('reports every problem, not just the first', () => {
    expect(message({ n: -1, name: 1 }).split('\n')).toHaveLength(3);
  });
  it('shows a number that overflowed in the file (1e400 parses to Infinity) instead of "null"', () => {
    const m = message(JSON.parse('{"noise": {"kind": "permute", "p": 1e400}, "n": -1e400}'));
    expect(m).toMatch(/dataset\.noise\.p: got Infinity \(the number overflows\); expected a finite number/);
    expect(m).toMatch(/dataset\.n: got -Infinity \(the number overflows\); expected a finite number/);
    expect(m).not.toMatch(/null/);
  });
});

describe('helpers', () => {
  it('deepMerge merges objects and replaces arrays and scalars', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 2 });
  });
  it('nearest suggests close names only', () => {
    expect(nearest('n_trian', ['n_train', 'n_test'])).toBe('n_train');
    expect(nearest('zzzzzz', ['n_train'])).toBeUndefined();
  });
});
