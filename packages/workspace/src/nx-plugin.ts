/**
 * The Nx side of the pipeline (loaded by tools/nx-plugin.mjs): one Nx project per distinct stage
 * task, and one per experiment.
 *
 * - `<stage>--<experiment>` (e.g. `train--baseline`: the stage and the first experiment, in file
 *   order, that uses the task; the key is in its tags and description): target `analyze` runs exactly the CLI a
 *   user would run, `node bin/sortscope.mjs <stage> --config <experiment file> --expect-key <key>` (behind `exec`, so the stage ends with Nx).
 *   It runs from the workspace root, the file name shell-quoted (shellQuote). Its cache inputs are
 *   the stage's code, the lockfile's versions of its npm dependencies and the upstream artifacts;
 *   its config enters through the key, which is in the command. Its output is
 *   artifacts/<stage>/<key>/. Experiments that share a stage (and everything upstream) share the
 *   project, so it runs once; an edit to one section of one experiment only changes the keys of
 *   that stage and the stages downstream of it.
 * - `<experiment>` (the file's path under experiments/, `/` → `.`): no-op targets `analyze` and
 *   one per stage (`dataset`, …) that depend on that experiment's stage projects, so
 *   `nx run baseline:dataset` or `nx run-many -t analyze` do what they say.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@sortscope/core/errors';
import type { StageName } from '@sortscope/core/stage';
import { expandRefs, isExperimentFile } from './discover.ts';
import { currentStudy, type Experiment, loadExperiment, reportDir, studyDir } from './experiment.ts';
import { experimentKeys, planTasks, STAGES, stageDef, type StageTask } from './plan.ts';
import { isSweepFile, splitRef } from './sweep.ts';

/** packages/, where this module's own package sits beside the stages' */
const PACKAGES_DIR = resolve(import.meta.dirname, '../..');

/**
 * The workspace packages whose code a stage runs: its own package and every @sortscope package it
 * depends on, transitively, as their package.json files declare (the boundary test holds the
 * imports to those declarations); and the npm packages those depend on, plus tsx.
 */
export function stageCode(stage: StageName): { packages: string[]; external: string[] } {
  const known = stageCodes.get(stage);
  if (known) return known;
  const packages = new Set<string>();
  const external = new Set<string>(['tsx']);
  const visit = (name: string): void => {
    if (packages.has(name)) return;
    packages.add(name);
    const pj = JSON.parse(readFileSync(join(PACKAGES_DIR, name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pj.dependencies ?? {})) {
      if (dep.startsWith('@sortscope/')) visit(dep.slice('@sortscope/'.length));
      else external.add(dep);
    }
  };
  visit(stage);
  const code = { packages: [...packages].sort(), external: [...external].sort() };
  stageCodes.set(stage, code);
  return code;
}

/** stageCode's answers: a study of hundreds of tasks reads the package.json files once per stage */
const stageCodes = new Map<StageName, { packages: string[]; external: string[] }>();

const codeInputs = (code: { packages: string[] }): string[] =>
  code.packages.flatMap((p) => [`{workspaceRoot}/packages/${p}/src/**/*`, `!{workspaceRoot}/packages/${p}/src/**/*.test.ts`]);

export const experimentProjectName = (name: string): string => name.replaceAll('/', '.');

/** A stage task's project name: the stage and the first experiment that uses it (`train--baseline`). */
export const taskProjectName = (stage: StageName, firstExperiment: string): string => `${stage}--${experimentProjectName(firstExperiment)}`;

/** stage + key → the task's project name, for the tasks of one study */
export type Namer = (stage: StageName, key: string) => string;

export function taskNamer(tasks: readonly StageTask[]): Namer {
  const names = new Map(tasks.map((t) => [`${t.stage}/${t.key}`, taskProjectName(t.stage, t.experiments[0])]));
  return (stage, key) => {
    const n = names.get(`${stage}/${key}`);
    if (!n) throw new Error(`no ${stage} task with key ${key} in this study`);
    return n;
  };
}

type ProjectConfig = Record<string, unknown>;
type NodesResult = [string, { projects: Record<string, ProjectConfig> }][];

export function createNodesFromExperiments(files: readonly string[], workspaceRoot: string, study = currentStudy()): NodesResult {
  const experiments: Experiment[] = [];
  const results: NodesResult = [];
  const dir = `${studyDir(study)}/`;
  const inStudy = [...files].filter((f) => f.startsWith(dir) && (isExperimentFile(f.split('/').pop()!) || isSweepFile(f))).sort();
  for (const file of inStudy) {
    try {
      for (const ref of expandRefs([file], workspaceRoot)) experiments.push(loadExperiment(ref, workspaceRoot));
    } catch (err) {
      // a broken experiment file must not take the whole workspace down: report it and skip it
      if (err instanceof ConfigError) console.warn(`sortscope: skipping ${file}: ${err.message}`);
      else throw err;
    }
  }
  const tasks = planTasks(experiments);
  const name = taskNamer(tasks);
  const byFile = new Map<string, Record<string, ProjectConfig>>();
  const add = (file: string, root: string, project: ProjectConfig): void => {
    const projects = byFile.get(file) ?? {};
    projects[root] = project;
    byFile.set(file, projects);
  };
  const fileOf = (ref: string) => splitRef(ref).file;
  for (const task of tasks) add(fileOf(task.file), `artifacts/${task.stage}/${task.key}`, taskProject(task, name));
  for (const exp of experiments) add(fileOf(exp.file), `.sortscope/${study}/${experimentProjectName(exp.name)}`, experimentProject(exp, name));
  if (experiments.length) add(fileOf(experiments[0].file), `.sortscope/${study}/report`, reportProject(study, tasks, name));
  for (const [file, projects] of byFile) results.push([file, { projects }]);
  return results;
}

/** One word for a POSIX shell: single-quoted, each ' written as '\'' (close, escaped quote, reopen). */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell command of a stage task; it runs from the workspace root, where task.file is relative to.
 * `exec`: the stage replaces the shell, so its parent is Nx itself, and it ends when Nx does
 * (packages/cli/src/parent-watch.ts) instead of outliving a killed run.
 */
export function stageCommand(task: Pick<StageTask, 'stage' | 'file' | 'key'>): string {
  return `exec node bin/sortscope.mjs ${task.stage} --config ${shellQuote(task.file)} --expect-key ${task.key}`;
}

function taskProject(task: StageTask, name: Namer): ProjectConfig {
  const code = stageCode(task.stage);
  const def = stageDef(task.stage);
  const upstream = def.upstream.map((u) => name(u, task.upstream[u]!));
  return {
    name: name(task.stage, task.key),
    tags: ['type:stage-task', `stage:${task.stage}`, `key:${task.key}`, ...task.experiments.map((e) => `experiment:${e}`)],
    implicitDependencies: upstream,
    targets: {
      analyze: {
        executor: 'nx:run-commands',
        options: { command: stageCommand(task), cwd: '{workspaceRoot}' },
        cache: true,
        inputs: [
          'code',
          ...codeInputs(code),
          { externalDependencies: code.external },
          { dependentTasksOutputFiles: '**/*.arrow', transitive: true },
          // the engine choice changes the numbers at float32 rounding: keep their caches apart
          ...(task.stage === 'dataset' ? [] : [{ env: 'SORTSCOPE_ENGINE' }, { env: 'SORTSCOPE_BACKEND' }]),
        ],
        outputs: [`{workspaceRoot}/artifacts/${task.stage}/${task.key}`],
        dependsOn: ['^analyze'],
        metadata: { description: `${task.stage} of ${task.experiments.join(', ')} → artifacts/${task.stage}/${task.key}` },
      },
    },
  };
}

/** The study's report: after every stage task of every experiment; reruns when any of their artifacts or the study's files change. */
function reportProject(study: string, tasks: StageTask[], name: Namer): ProjectConfig {
  const code = stageCode('report');
  return {
    name: 'report',
    tags: ['type:report', `study:${study}`],
    implicitDependencies: tasks.map((t) => name(t.stage, t.key)),
    targets: {
      analyze: {
        executor: 'nx:run-commands',
        options: { command: `node bin/sortscope.mjs report --study ${shellQuote(study)}`, cwd: '{workspaceRoot}' },
        cache: true,
        inputs: [
          'code',
          ...codeInputs(code),
          '{workspaceRoot}/packages/cli/src/report-command.ts',
          '{workspaceRoot}/packages/workspace/src/study-report.ts',
          `{workspaceRoot}/${studyDir(study)}/**/*.json`,
          { externalDependencies: code.external },
          { dependentTasksOutputFiles: '**/*.arrow', transitive: true },
        ],
        outputs: [`{workspaceRoot}/${reportDir(study)}`],
        dependsOn: ['^analyze'],
        metadata: { description: `the report of study ${study}` },
      },
    },
  };
}

function experimentProject(exp: Experiment, name: Namer): ProjectConfig {
  const keys = experimentKeys(exp.config);
  const stageTarget = (stage: StageName) => ({
    executor: 'nx:noop',
    inputs: [`{workspaceRoot}/${splitRef(exp.file).file}`],
    cache: true,
    dependsOn: [{ projects: [name(stage, keys[stage].key)], target: 'analyze' }],
  });
  return {
    name: experimentProjectName(exp.name),
    tags: ['type:experiment'],
    implicitDependencies: STAGES.map((s) => name(s.name, keys[s.name].key)),
    targets: {
      ...Object.fromEntries(STAGES.map((s) => [s.name, stageTarget(s.name)])),
      // the experiment's file is its input: `nx affected -t analyze` after an edit selects this task, and with it its stage tasks
      // (the unchanged ones replay from the cache; a changed section has a new key and runs)
      analyze: { executor: 'nx:noop', inputs: [`{workspaceRoot}/${splitRef(exp.file).file}`], cache: true, dependsOn: STAGES.map((s) => ({ projects: [name(s.name, keys[s.name].key)], target: 'analyze' })) },
    },
  };
}
