import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { checkDeclared, checkImports, importCycles, importSpecifiers, PLAN } from './boundaries.ts';

const ROOT = resolve(import.meta.dirname, '..');
const tmp = useTempDirs('boundaries', 'all');
/** a dynamic import of `spec` as source text (written so that this file's own scan does not read it) */
const dynamicImport = (spec: string) => `await ${'import'}('${spec}')`;

const show = (vs: { file: string; spec: string; why: string }[]) => vs.map((v) => `${v.file}: '${v.spec}': ${v.why}`);

describe('the package plan holds in this repository', () => {
  const { edges, violations } = checkImports(ROOT);

  it('every package folder is on a floor of the plan', () => {
    expect(readdirSync(join(ROOT, 'packages')).sort()).toEqual(PLAN.flat().sort());
  });
  it('every import goes down the plan, through a declared dependency and an exported entry point', () => {
    expect(edges.length).toBeGreaterThan(1000); // it did read the code
    expect(show(violations)).toEqual([]);
  });
  it("every package.json's @sortscope dependencies are on lower floors", () => {
    expect(show(checkDeclared(ROOT))).toEqual([]);
  });
  it('no file imports itself back through a chain of imports', () => {
    expect(importCycles(edges)).toEqual([]);
  });
});

describe('the check finds what it must', () => {
  /** a tiny workspace: packages with package.json and source files */
  function workspace(files: Record<string, string>): string {
    const root = tmp();
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }
  const pkg = (name: string, deps: string[] = [], exports: Record<string, string> = { '.': './src/index.ts' }) =>
    JSON.stringify({ name: `@sortscope/${name}`, exports, dependencies: Object.fromEntries(deps.map((d) => [`@sortscope/${d}`, '0.1.0'])) });

  // made before the tests, not while they are collected: a run that filters them all out (-t) would
  // leave the folder behind, since its clean-up hook then never runs
  let root: string;
  let edges: ReturnType<typeof checkImports>['edges'];
  let found: ReturnType<typeof show>;
  beforeAll(() => {
    root = workspace({
      'packages/core/package.json': pkg('core'),
      'packages/core/src/index.ts': "export const x = 1;\n// import { y } from '@sortscope/cli';\n/* import '@sortscope/llc'; */\n",
      'packages/model/package.json': pkg('model', ['core', 'engine']),
      'packages/model/src/index.ts': "import { x } from '@sortscope/core';\nimport { e } from '@sortscope/engine';\nexport const m = `import '@sortscope/${x}'`;\n",
      'packages/dataset/package.json': pkg('dataset', ['core']),
      'packages/dataset/src/index.ts': "import type { M } from '@sortscope/model';\nexport * from './a.ts';\n",
      'packages/dataset/src/a.ts': "import { b } from './b.ts';\nexport const a = 1;\n",
      'packages/dataset/src/b.ts': "import { a } from './a.ts';\nexport const b = 2;\n",
      'packages/engine/package.json': pkg('engine', ['core', 'model']),
      'packages/engine/src/index.ts': `export const e = ${dynamicImport('@sortscope/model/src/init.ts')};\nimport '../../core/src/index.ts';\n`,
    });
    const checked = checkImports(root);
    edges = checked.edges;
    found = show(checked.violations);
  });

  it('an upward import, and its declaration', () => {
    expect(found).toContainEqual(expect.stringMatching(/^packages\/model\/src\/index\.ts: '@sortscope\/engine': 'model' \(floor 1\) may not import 'engine' \(floor 2\): upward/));
    expect(show(checkDeclared(root))).toEqual([expect.stringMatching(/packages\/model\/package\.json: '@sortscope\/engine': 'model' may not depend on 'engine'/)]);
  });
  it('a sideways import, undeclared', () => {
    expect(found).toContainEqual(expect.stringMatching(/dataset\/src\/index\.ts: '@sortscope\/model': 'dataset' does not declare @sortscope\/model/));
    expect(found).toContainEqual(expect.stringMatching(/dataset\/src\/index\.ts: '@sortscope\/model': .* sideways/));
  });
  it("an import of another package's internals, by subpath or by relative path", () => {
    expect(found).toContainEqual(expect.stringMatching(/engine\/src\/index\.ts: '@sortscope\/model\/src\/init\.ts': 'model' does not export '\.\/src\/init\.ts'/));
    expect(found).toContainEqual(expect.stringMatching(/engine\/src\/index\.ts: '\.\.\/\.\.\/core\/src\/index\.ts': a relative import out of package 'engine'/));
  });
  it('a cycle between two files', () => {
    expect(importCycles(edges)).toEqual([['packages/dataset/src/a.ts', 'packages/dataset/src/b.ts']]);
  });
  it('reads no imports from comments or strings', () => {
    expect(found.filter((f) => f.startsWith('packages/core/'))).toEqual([]);
    expect(importSpecifiers(`const s = "import '@sortscope/x'";\n// import 'y';\nimport z from 'z';\nconst w = ${dynamicImport('w')};\n`)).toEqual(['z', 'w']);
  });
});
