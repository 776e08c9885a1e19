import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CommandSpec, helpText, parseArgs } from './cli-args.ts';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'A demo command.',
  section: {
    name: 'demo',
    schema: z
      .object({
        n_train: z.int().min(1).default(100).describe('training rows'),
        distinct: z.boolean().default(true),
        tags: z.array(z.string()).default([]),
        noise: z
          .discriminatedUnion('kind', [z.object({ kind: z.literal('none') }).strict(), z.object({ kind: z.literal('token'), p: z.number().min(0).max(1).describe('level') }).strict()])
          .prefault({ kind: 'none' }),
      })
      .strict(),
  },
  globals: [
    { name: 'config', type: 'string', value: 'FILE', description: 'experiment file' },
    { name: 'json', type: 'boolean', description: 'json output' },
    { name: 'weights', type: 'string', description: 'weights', repeatable: true },
    { name: 'no-ablation', type: 'boolean', description: 'a global whose name starts with no-' },
  ],
};

describe('parseArgs', () => {
  it('splits globals from config fields and coerces values by type', () => {
    const a = parseArgs(['--config', 'x.json', '--n-train=5', '--noise.kind', 'token', '--noise.p', '0.5', '--json', '--no-distinct', '--tags', '["a"]', 'pos'], spec);
    expect(a.globals).toEqual({ config: 'x.json', json: true });
    expect(a.overrides).toEqual({ n_train: 5, noise: { kind: 'token', p: 0.5 }, distinct: false, tags: ['a'] });
    expect(a.positionals).toEqual(['pos']);
  });
  it('keeps an uncoercible value as text so validation can name it', () => {
    expect(parseArgs(['--n_train', 'many'], spec).overrides).toEqual({ n_train: 'many' });
  });
  it('takes a global named no-… as itself, not as the negation of an unknown flag', () => {
    expect(parseArgs(['--no-ablation'], spec).globals['no-ablation']).toBe(true);
    expect(parseArgs(['--no_ablation'], spec).globals['no-ablation']).toBe(true);
    expect(parseArgs([], spec).globals['no-ablation']).toBeUndefined();
  });
  it('collects repeatable options', () => {
    expect(parseArgs(['--weights', 'a', '--weights', 'b'], spec).globals.weights).toEqual(['a', 'b']);
  });
  it('refuses unknown flags with a suggestion, and missing values', () => {
    expect(() => parseArgs(['--n_trian', '3'], spec)).toThrow(/unknown flag --n_trian for 'sortscope demo' \(did you mean --n_train\?\)/);
    expect(() => parseArgs(['--config'], spec)).toThrow(/flag --config: missing value/);
  });
});

describe('helpText', () => {
  it('documents every field with its type, bounds, default, and the union branches', () => {
    const text = helpText(spec);
    expect(text).toMatch(/Usage: sortscope demo \[options\]/);
    expect(text).toMatch(/--n_train <integer>\s+training rows \(>= 1\) \[default: 100\]/);
    expect(text).toMatch(/--noise\.kind <none\|token>/);
    expect(text).toMatch(/when noise\.kind=token:\n\s+--noise\.p <number>\s+level \(>= 0, <= 1\) \[required\]/);
    expect(text).toMatch(/--weights STRING\s+weights \(repeatable\)/);
  });
});
