import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createNodesFromExperiments, shellQuote, stageCode, stageCommand } from './nx-plugin.ts';
import { STAGES } from './plan.ts';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function workspace(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'ss-ws-'));
  temps.push(root);
  mkdirSync(join(root, 'experiments', 'noise'), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, 'experiments', name), JSON.stringify(content));
  return root;
}

describe('Nx project inference', () => {
  it('makes one project per distinct stage task and one per experiment', () => {
    const root = workspace({ 'a.json': { dataset: {} }, 'b.json': { dataset: {} }, 'noise/p1.json': { dataset: { noise: { kind: 'permute', p: 1 } } } });
    const results = createNodesFromExperiments(['experiments/a.json', 'experiments/b.json', 'experiments/noise/p1.json'], root);
    const projects = Object.assign({}, ...results.map(([, r]) => r.projects));
    const names = Object.values(projects).map((p) => (p as { name: string }).name).sort();
    const stageProjects = names.filter((n) => n.startsWith('dataset--'));
    // readable: the stage and the first experiment using the task (a and b share one dataset)
    expect(stageProjects).toEqual(['dataset--a', 'dataset--noise.p1']);
    expect(names).toEqual(expect.arrayContaining(['a', 'b', 'noise.p1']));
    const task = Object.values(projects).find((p) => (p as { name: string }).name === stageProjects[0]) as Record<string, any>;
    const analyze = task.targets.analyze;
    expect(analyze.options.command).toMatch(/^exec node bin\/sortscope\.mjs dataset --config 'experiments\/\S+\.json' --expect-key [0-9a-f]{16}$/);
    expect(analyze.outputs[0]).toMatch(/^\{workspaceRoot\}\/artifacts\/dataset\/[0-9a-f]{16}$/);
    expect(analyze.cache).toBe(true);
    const exp = Object.values(projects).find((p) => (p as { name: string }).name === 'a') as Record<string, any>;
    expect(exp.targets.dataset.dependsOn[0].target).toBe('analyze');
    expect(exp.targets.analyze.dependsOn).toHaveLength(STAGES.length);
    const train = Object.values(projects).find((p) => (p as { name: string }).name === 'train--a') as Record<string, any>;
    expect(train.implicitDependencies).toEqual(['dataset--a']);
    expect(train.tags).toEqual(expect.arrayContaining(['stage:train', 'experiment:a', 'experiment:b', expect.stringMatching(/^key:[0-9a-f]{16}$/)]));
    expect(train.targets.analyze.metadata.description).toMatch(/^train of a, b → artifacts\/train\/[0-9a-f]{16}$/);
    expect(train.targets.analyze.inputs).toContainEqual({ dependentTasksOutputFiles: '**/*.arrow', transitive: true });
    // the code of the train stage is its package and every package it depends on: the model and the engines included
    expect(train.targets.analyze.inputs).toEqual(expect.arrayContaining(['{workspaceRoot}/packages/engine/src/**/*', '!{workspaceRoot}/packages/engine/src/**/*.test.ts', '{workspaceRoot}/packages/model/src/**/*']));
  });

  it("a stage's cache inputs are its package and its dependencies, transitively, from the package.json files", () => {
    expect(stageCode('dataset').packages).toEqual(['core', 'dataset']);
    expect(stageCode('train').packages).toEqual(['core', 'dataset', 'engine', 'model', 'train']);
    expect(stageCode('llc').packages).toEqual(['core', 'dataset', 'engine', 'llc', 'model', 'train']);
    expect(stageCode('report').packages).toEqual(['circuits', 'core', 'dataset', 'engine', 'llc', 'model', 'report', 'train']);
    expect(stageCode('train').external).toEqual(expect.arrayContaining(['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core', 'apache-arrow', 'tsx', 'zod']));
    expect(stageCode('dataset').external).not.toContain('@tensorflow/tfjs-core');
  });

  it('skips a broken experiment file with a warning instead of breaking the workspace', () => {
    const root = workspace({ 'a.json': { dataset: {} }, 'bad.json': { dataset: { n_train: -1 } } });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const results = createNodesFromExperiments(['experiments/a.json', 'experiments/bad.json'], root);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/skipping experiments\/bad\.json: .*dataset\.n_train: got -1/s));
    expect(results.map(([f]) => f)).toEqual(['experiments/a.json']);
    warn.mockRestore();
  });
});

describe('the shell commands of the Nx targets', () => {
  /** What `sh -c` makes of a command: its words, one a line, with `node bin/sortscope.mjs` replaced by printf. */
  const words = (command: string, cwd: string): string[] => {
    const harmless = command.replace(/^exec node bin\/sortscope\.mjs /, "exec printf '%s\\n' ");
    return execFileSync('sh', ['-c', harmless], { cwd, encoding: 'utf8' }).split('\n').slice(0, -1);
  };

  it('shellQuote gives one word that sh reads back unchanged', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ss-sh-'));
    temps.push(cwd);
    for (const w of ["q';touch PWNED;'.json", "it's", "''", '$(touch PWNED)', '`touch PWNED`', 'a b\tc', '"x"', '\\', '#member', '*.json', '']) {
      expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(w)}`], { cwd, encoding: 'utf8' })).toBe(w);
    }
    expect(existsSync(join(cwd, 'PWNED'))).toBe(false);
  });

  it("an experiment file named q';touch PWNED;'.json is passed as one argument and runs nothing", () => {
    const name = "q';touch PWNED;'.json";
    const root = workspace({ [name]: { dataset: {} } });
    const results = createNodesFromExperiments([`experiments/${name}`], root);
    const projects = Object.values(Object.assign({}, ...results.map(([, r]) => r.projects))) as Record<string, any>[];
    const task = projects.find((p) => p.name.startsWith('dataset--'))!;
    const key = (task.tags as string[]).find((t) => t.startsWith('key:'))!.slice('key:'.length);
    const command: string = task.targets.analyze.options.command;
    expect(command).toBe(stageCommand({ stage: 'dataset', file: `experiments/${name}`, key }));
    expect(words(command, root)).toEqual(['dataset', '--config', `experiments/${name}`, '--expect-key', key]);
    expect(existsSync(join(root, 'PWNED'))).toBe(false);
  });
});
