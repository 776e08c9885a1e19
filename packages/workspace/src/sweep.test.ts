import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { studyRefs } from './discover.ts';
import { experimentName, loadExperiment } from './experiment.ts';
import { experimentKeys } from './plan.ts';
import { assignShards } from './shards.ts';
import { expandSweep, splitRef, SweepSchema } from './sweep.ts';
import { useTempDirs } from '@sortscope/core/testing';

const tmp = useTempDirs('sweep');

const sweep = (s: unknown) => expandSweep(SweepSchema.parse(s));

describe('sweeps', () => {
  it('expand cases × grid with dotted paths, naming members by case and values', () => {
    const m = sweep({
      base: { train: { epochs: 2 } },
      cases: [{ name: 'h1', set: { 'train.model.n_heads': 1 } }, { name: 'h3', set: { 'train.model.n_heads': 3 } }],
      grid: { 'train.seed': [1, 2], 'dataset.noise': [{ kind: 'token', p: 0.1 }] },
    });
    expect(m.map((x) => x.name)).toEqual(['h1-seed=1-noise=token-0.1', 'h1-seed=2-noise=token-0.1', 'h3-seed=1-noise=token-0.1', 'h3-seed=2-noise=token-0.1']);
    expect(m[3].raw).toEqual({ train: { epochs: 2, model: { n_heads: 3 }, seed: 2 }, dataset: { noise: { kind: 'token', p: 0.1 } } });
  });
  it('refuse two members with one name', () => {
    expect(() => sweep({ cases: [{ name: 'a' }, { name: 'a' }] })).toThrow(/both named 'a'/);
  });
  it('load as experiments addressed file#member, and fail clearly otherwise', () => {
    const root = tmp();
    mkdirSync(join(root, 'studies', 'full'), { recursive: true });
    writeFileSync(join(root, 'studies/full/noise.sweep.json'), JSON.stringify({ base: { dataset: { n_train: 10 } }, grid: { 'dataset.noise': [{ kind: 'permute', p: 0 }, { kind: 'permute', p: 1 }], 'train.seed': [1, 2] } }));
    writeFileSync(join(root, 'studies/full/plain.json'), JSON.stringify({ dataset: { n_train: 10 } }));
    const refs = studyRefs(root, 'full');
    expect(refs).toEqual([
      'studies/full/noise.sweep.json#noise=permute-0-seed=1',
      'studies/full/noise.sweep.json#noise=permute-0-seed=2',
      'studies/full/noise.sweep.json#noise=permute-1-seed=1',
      'studies/full/noise.sweep.json#noise=permute-1-seed=2',
      'studies/full/plain.json',
    ]);
    const e = loadExperiment(refs[2], root);
    expect(e.name).toBe('noise/noise=permute-1-seed=1');
    expect(e.config.dataset.noise).toEqual({ kind: 'permute', p: 1 });
    expect(e.config.train.seed).toBe(1);
    expect(experimentName('studies/full/plain.json', root)).toBe('plain');
    expect(() => loadExperiment('studies/full/noise.sweep.json#nope', root)).toThrow(/has no member 'nope'; expected one of noise=permute-0-seed=1/);
    expect(() => loadExperiment('studies/full/noise.sweep.json', root)).toThrow(/is a sweep; name one of its members/);
    // p = 0 resolves to clean data: the p = 0 member shares the plain experiment's dataset, and its runs with the same seed
    const zero = loadExperiment(refs[0], root);
    expect(experimentKeys(zero.config).dataset.key).toBe(experimentKeys(loadExperiment(refs[4], root).config).dataset.key);
  });
});

describe('shards', () => {
  it('place every experiment once, keep shared training runs together, balance sizes', () => {
    const root = tmp();
    mkdirSync(join(root, 'studies', 's'), { recursive: true });
    // 4 seeds × 3 LLC settings: 12 experiments, 4 training runs
    writeFileSync(join(root, 'studies/s/a.sweep.json'), JSON.stringify({ grid: { 'train.seed': [1, 2, 3, 4], 'llc.gamma': [10, 100, 1000] } }));
    const exps = studyRefs(root, 's').map((r) => loadExperiment(r, root));
    const shards = assignShards(exps, 3);
    expect(shards.flat().sort()).toEqual(exps.map((e) => e.name.replaceAll('/', '.')).sort());
    expect(shards.map((s) => s.length).sort()).toEqual([3, 3, 6]);
    for (const s of shards) {
      const trains = new Set(s.map((p) => experimentKeys(exps.find((e) => e.name.replaceAll('/', '.') === p)!.config).train.key));
      expect(trains.size).toBe(s.length / 3);
    }
    expect(assignShards(exps, 3)).toEqual(shards); // deterministic
    expect(assignShards(exps, 20).filter((s) => s.length === 0)).toHaveLength(16);
  });
});

describe('splitRef', () => {
  it('splits only a sweep file from its member; a plain file keeps its # (issue #29)', () => {
    expect(splitRef('studies/claims/noise.sweep.json#replace-k3-seed=1')).toEqual({ file: 'studies/claims/noise.sweep.json', member: 'replace-k3-seed=1' });
    expect(splitRef('a#b.json')).toEqual({ file: 'a#b.json' });
    expect(splitRef('dir#1/x.sweep.json#m#2')).toEqual({ file: 'dir#1/x.sweep.json', member: 'm#2' });
    expect(splitRef('x.sweep.json')).toEqual({ file: 'x.sweep.json' });
  });

  it('loads an experiment file whose name holds a #, under its own name', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a#b.json'), JSON.stringify({ dataset: { n_train: 10 } }));
    const exp = loadExperiment(join(dir, 'a#b.json'), dir);
    expect(exp.name).toBe('a#b');
    expect(exp.config.dataset.n_train).toBe(10);
  });
});
