import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CommandSpec, helpText, parseArgs } from './cli-args.ts';
import { ConfigError } from './errors.ts';

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
    const a = parseArgs(['--config', 'x.json', '--n-train=5', '--noise.kind', 'token', '--noise.p', '0.5', '--json', '--no-distinct', '--tags', '["a"]', 'pos'], { ...spec, positionals: '[pos]' });
    expect(a.globals).toEqual({ config: 'x.json', json: true });
    expect(a.overrides).toEqual({ n_train: 5, noise: { kind: 'token', p: 0.5 }, distinct: false, tags: ['a'] });
    expect(a.positionals).toEqual(['pos']);
  });
  it('refuses a stray word for a command without positionals, suggesting --config for a file', () => {
    expect(() => parseArgs(['experiments/permute-p1.json'], spec)).toThrow(
      /unexpected argument "experiments\/permute-p1\.json": 'sortscope demo' takes no positional arguments \(did you mean --config experiments\/permute-p1\.json\?\)/,
    );
    expect(() => parseArgs(['--n_train', '5', 'extra'], spec)).toThrow(/unexpected argument "extra": 'sortscope demo' takes no positional arguments; see/);
    expect(() => parseArgs(['-x'], spec)).toThrow(ConfigError);
    // no --config to suggest on a command without one
    const noConfig = { ...spec, globals: spec.globals.filter((g) => g.name !== 'config') };
    expect(() => parseArgs(['a.json'], noConfig)).toThrow(/takes no positional arguments; see/);
  });
  it('takes true/false/1/0/yes/no after a boolean flag, a bare flag as true, and refuses any other word', () => {
    const words: [string, boolean][] = [['true', true], ['false', false], ['1', true], ['0', false], ['yes', true], ['no', false], ['NO', false]];
    for (const [w, b] of words) {
      expect(parseArgs(['--distinct', w], spec).overrides).toEqual({ distinct: b });
      expect(parseArgs(['--json', w], spec).globals).toEqual({ json: b });
      expect(parseArgs([`--distinct=${w}`], spec).overrides).toEqual({ distinct: b });
    }
    expect(parseArgs(['--distinct', '--json'], spec)).toMatchObject({ overrides: { distinct: true }, globals: { json: true } });
    expect(() => parseArgs(['--distinct', 'maybe'], spec)).toThrow(/--distinct \(demo\.distinct\): got "maybe"; expected true, false, 1, 0, yes or no \(a bare --distinct means true\)/);
    expect(() => parseArgs(['--json', 'maybe'], spec)).toThrow(/--json: got "maybe"; expected true, false, 1, 0, yes or no/);
    expect(() => parseArgs(['--distinct=maybe'], spec)).toThrow(/--distinct \(demo\.distinct\): got "maybe"/);
    expect(() => parseArgs(['--json', 'x.json'], spec)).toThrow(/--json: got "x\.json"; .*\(did you mean --config x\.json\?\)/);
    // a command that takes positionals: the word after a bare boolean flag is a positional
    expect(parseArgs(['--json', 'a.json'], { ...spec, positionals: '[file ...]' })).toMatchObject({ globals: { json: true }, positionals: ['a.json'] });
  });
  it('refuses --no- on a flag that takes a value, and a value on a negated flag', () => {
    expect(() => parseArgs(['--no-n_train'], spec)).toThrow(/--no-n_train: only a boolean flag can be negated/);
    expect(() => parseArgs(['--no-distinct=true'], spec)).toThrow(/a negated flag takes no value/);
  });
  it('refuses numbers a double cannot hold, showing them as typed', () => {
    expect(() => parseArgs(['--noise.p', 'Infinity'], spec)).toThrow(/^--noise\.p \(demo\.noise\.p\): got Infinity; expected a finite number$/);
    expect(() => parseArgs(['--noise.p', '-Infinity'], spec)).toThrow(/got -Infinity; expected a finite number/);
    expect(() => parseArgs(['--n_train=1e400'], spec)).toThrow(/--n_train \(demo\.n_train\): got 1e400 \(overflows\); expected a finite number/);
    const withNumber: CommandSpec = { ...spec, globals: [...spec.globals, { name: 'workers', type: 'number', description: 'n' }] };
    expect(() => parseArgs(['--workers', '1e400'], withNumber)).toThrow(/--workers: got 1e400 \(overflows\); expected a finite number/);
    expect(() => parseArgs(['--workers', 'two'], withNumber)).toThrow(/--workers: got "two"; expected a number/);
    expect(parseArgs(['--workers', '3'], withNumber).globals.workers).toBe(3);
  });
  it('keeps an uncoercible value as text so validation can name it', () => {
    expect(parseArgs(['--n_train', 'many'], spec).overrides).toEqual({ n_train: 'many' });
  });
  it('takes a global named no-… as itself, not as the negation of an unknown flag', () => {
    expect(parseArgs(['--no-ablation'], spec).globals['no-ablation']).toBe(true);
    expect(parseArgs(['--no_ablation'], spec).globals['no-ablation']).toBe(true);
    expect(parseArgs([], spec).globals['no-ablation']).toBeUndefined();
  });
  it('takes only the listed choices of a string option and integers in bounds for a counted one (#29)', () => {
    const s = { ...spec, globals: [...spec.globals, { name: 'backend', type: 'string' as const, description: 'b', choices: ['auto', 'wasm'] }, { name: 'workers', type: 'number' as const, description: 'w', integer: { min: 1, max: 8 } }] };
    expect(parseArgs(['--backend', 'wasm', '--workers', '8'], s).globals).toEqual({ backend: 'wasm', workers: 8 });
    expect(() => parseArgs(['--backend', 'bogus'], s)).toThrow(/--backend: got "bogus"; expected one of "auto", "wasm"/);
    for (const w of ['-1', '1.5', '0', '64']) expect(() => parseArgs(['--workers', w], s)).toThrow(new RegExp(`--workers: got ${w.replace('.', '\\.')}; expected an integer from 1 to 8`));
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
