import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { experimentName, loadExperiment } from './experiment.ts';
import { experimentKeys, planTasks } from './plan.ts';

function workspace(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'ss-ws-'));
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
