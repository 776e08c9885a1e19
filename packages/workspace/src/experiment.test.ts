import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@sortscope/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkStudyName, configRefFromCwd, currentStudy, experimentName, loadExperiment, requireStudy, studyDir } from './experiment.ts';
import { experimentKeys, planTasks } from './plan.ts';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function workspace(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'ss-ws-'));
  temps.push(root);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, 'experiments', name, '..'), { recursive: true });
    writeFileSync(join(root, 'experiments', name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

describe('experiments', () => {
  it('fills every section with its defaults', () => {
    const root = workspace({ 'a.json': { dataset: { n_train: 5 } } });
    const e = loadExperiment('experiments/a.json', root);
    expect(e.name).toBe('a');
    expect(e.config.dataset.n_train).toBe(5);
    expect(e.config.dataset.list_length).toBe(10);
    expect(e.config.dataset.noise).toEqual({ kind: 'none' });
  });

  it('names experiments in sub-folders by their path', () => {
    expect(experimentName('experiments/noise/permute-p1.json', '/ws')).toBe('noise/permute-p1');
  });

  it('applies flags over the file (defaults < file < flags)', () => {
    const root = workspace({ 'a.json': { dataset: { n_train: 5, seed: 3 } } });
    const e = loadExperiment('experiments/a.json', root, { stage: 'dataset', values: { n_train: 7 } });
    expect(e.config.dataset).toMatchObject({ n_train: 7, seed: 3 });
  });

  it('fails on unknown keys and bad values with path, value and expectation', () => {
    const root = workspace({ 'bad.json': { datset: {}, dataset: { noise: { kind: 'permute', p: 2 } } }, 'nojson.json': '{ nope' });
    const err = (() => {
      try {
        loadExperiment('experiments/bad.json', root);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(/invalid config in experiments\/bad\.json:/);
    expect(err!.message).toMatch(/datset: unknown key; expected one of \$schema, description, dataset, train, .*\(did you mean "dataset"\?\)/);
    expect(err!.message).toMatch(/dataset\.noise\.p: got 2; expected a number <= 1/);
    expect(() => loadExperiment('experiments/nojson.json', root)).toThrow(/is not valid JSON/);
    expect(() => loadExperiment('experiments/missing.json', root)).toThrow(/cannot read config file/);
  });
});

describe('plan', () => {
  it('shares a stage between experiments whose sections agree, and only then', () => {
    const root = workspace({
      'a.json': { dataset: {} },
      'b.json': { description: 'same data, other words', dataset: { n_train: 150000 } },
      'c.json': { dataset: { noise: { kind: 'permute', p: 0.5 } } },
    });
    const exps = ['a', 'b', 'c'].map((n) => loadExperiment(`experiments/${n}.json`, root));
    expect(experimentKeys(exps[0].config).dataset.key).toBe(experimentKeys(exps[1].config).dataset.key);
    const tasks = planTasks(exps).filter((t) => t.stage === 'dataset' || t.stage === 'train');
    expect(tasks.map((t) => [t.stage, t.experiments])).toEqual([
      ['dataset', ['a', 'b']],
      ['dataset', ['c']],
      ['train', ['a', 'b']],
      ['train', ['c']],
    ]);
    expect(tasks[0].file).toBe('experiments/a.json');
    // a train task's upstream is its own experiment's dataset
    expect(tasks[3].upstream.dataset).toBe(tasks[1].key);
  });
});

describe('study names', () => {
  const saved = process.env.SORTSCOPE_STUDY;
  afterEach(() => {
    if (saved === undefined) delete process.env.SORTSCOPE_STUDY;
    else process.env.SORTSCOPE_STUDY = saved;
  });

  it('refuses . and .., and anything with / or \\, listing the studies', () => {
    const root = workspace({ 'a.json': {} });
    mkdirSync(join(root, 'studies', 'full'), { recursive: true });
    mkdirSync(join(root, 'studies', 'tiny'), { recursive: true });
    for (const bad of ['..', '.', '../x', 'a/b', 'a\\b', '/etc', '.hidden', '']) {
      expect(() => checkStudyName(bad, '--study', root)).toThrow(ConfigError);
      expect(() => checkStudyName(bad, '--study', root)).toThrow(`--study: got ${JSON.stringify(bad)}; expected a study name, a plain folder name under studies/ (letters, digits, . _ -; not . or ..): one of quick, full, tiny`);
    }
    expect(checkStudyName('full', '--study', root)).toBe('full');
    expect(requireStudy('quick', '--study', root)).toBe('quick');
    expect(() => requireStudy('nosuch', '--study', root)).toThrow(/--study: no study "nosuch" \(no folder studies\/nosuch\/\)\. Expected one of quick, full, tiny/);
    expect(() => requireStudy('tinyy', '--study', root)).toThrow(/--study: no study "tinyy" \(no folder studies\/tinyy\/\); did you mean "tiny"\? Expected one of quick, full, tiny/);
    expect(() => studyDir('..')).toThrow(/study: got "\.\."/);
  });

  it('SORTSCOPE_STUDY=.. does not pass', () => {
    process.env.SORTSCOPE_STUDY = '..';
    expect(() => currentStudy()).toThrow(/SORTSCOPE_STUDY: got "\.\."; expected a study name/);
    process.env.SORTSCOPE_STUDY = 'full';
    expect(currentStudy()).toBe('full');
  });
});

describe('--config paths', () => {
  it('are resolved from the current folder and named relative to the workspace root', () => {
    const root = workspace({ 'a.json': {}, 'sub/b.json': {}, 's.sweep.json': {} });
    expect(configRefFromCwd('experiments/a.json', root, root)).toBe('experiments/a.json');
    expect(configRefFromCwd('b.json', root, join(root, 'experiments', 'sub'))).toBe('experiments/sub/b.json');
    expect(configRefFromCwd('../s.sweep.json#m', root, join(root, 'experiments', 'sub'))).toBe('experiments/s.sweep.json#m');
    // only a sweep has members: `a.json#m` names a file of that name
    expect(() => configRefFromCwd('../a.json#m', root, join(root, 'experiments', 'sub'))).toThrow(/no such file .*experiments\/a\.json#m/);
    const outside = mkdtempSync(join(tmpdir(), 'ss-out-'));
    temps.push(outside);
    writeFileSync(join(outside, 'c.json'), '{}');
    expect(configRefFromCwd('c.json', root, outside)).toBe(join(outside, 'c.json'));
    expect(() => configRefFromCwd('a.json', root, root)).toThrow(`--config a.json: no such file ${join(root, 'a.json')} (paths on the command line are relative to the current folder, ${root})`);
    expect(() => configRefFromCwd('experiments', root, root)).toThrow(/is not a file/);
  });
});
