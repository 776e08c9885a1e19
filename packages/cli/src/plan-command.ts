/**
 * `sortscope plan`: the experiments found under experiments/ and the artifact directory of each
 * of their stages (shared tasks are listed once per experiment that uses them).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ParsedArgs } from '@sortscope/core/cli-args';
import type { Command } from './command.ts';

export const planCommand: Command = {
  spec: {
    name: 'plan',
    summary: 'List the experiments (of SORTSCOPE_STUDY, default: experiments/) and where each of their stages writes its artifacts.',
    globals: [{ name: 'json', type: 'boolean', description: 'print the plan as JSON' }],
    positionals: '[experiment.json ...]',
  },
  async run(args: ParsedArgs, root: string) {
    // the light modules only (configs and keys; no Arrow, no stage code)
    const { MANIFEST } = await import('@sortscope/core/lineage');
    const { configRefFromCwd, loadExperiment } = await import('@sortscope/workspace/experiment');
    const { expandRefs, studyRefs } = await import('@sortscope/workspace/discover');
    const { experimentKeys, STAGES, taskDir } = await import('@sortscope/workspace/plan');
    const files = args.positionals.length ? expandRefs(args.positionals.map((p) => configRefFromCwd(p, root)), root) : studyRefs(root);
    const plan = files.map((file) => {
      const exp = loadExperiment(file, root);
      const keys = experimentKeys(exp.config);
      return {
        experiment: exp.name,
        file: exp.file,
        stages: Object.fromEntries(
          STAGES.map((s) => {
            const dir = taskDir(root, s.name, keys[s.name].key);
            // done = the stage finished there (its manifest is written last); a folder with only partial/ is not
            const done = existsSync(join(dir, MANIFEST));
            return [s.name, { key: keys[s.name].key, dir: relative(root, dir), done, started: !done && existsSync(dir) }];
          }),
        ),
      };
    });
    if (args.globals.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    else {
      for (const p of plan) {
        process.stdout.write(`${p.experiment}  (${p.file})\n`);
        for (const [stage, s] of Object.entries(p.stages)) process.stdout.write(`  ${stage.padEnd(9)} ${s.dir}${s.done ? '' : s.started ? '  (started, not finished)' : '  (not run)'}\n`);
      }
    }
    return 0;
  },
};
