/**
 * `sortscope <command>`: one CLI for every stage and tool. Exit codes: 0 ok, 1 unexpected error,
 * 2 bad config or flags (nothing written), 3 unusable artifact, 4 shape mismatch.
 */
import { type CommandSpec, helpText, parseArgs, type ParsedArgs, SortscopeError } from '@sortscope/core';
import { type DatasetConfig, runDatasetStage, datasetStage } from '@sortscope/dataset';
import { engineChoice, runTrainStage, type TrainConfig, trainStage } from '@sortscope/train';
import { benchCommand } from './bench-command.ts';
import { evalCommand } from './eval-command.ts';
import { findWorkspaceRoot } from './experiment.ts';
import { findingsCommand } from './findings-command.ts';
import { circuitsRunner } from './circuits-runner.ts';
import { calibrateCommand, diagnoseCommand, llcRunner } from './llc-commands.ts';
import { planCommand } from './plan-command.ts';
import { reportCommand } from './report-command.ts';
import { schemaCommand } from './schema-command.ts';
import { cacheServerCommand, studyJobsCommand, studyListCommand, studyRunCommand } from './study-command.ts';
import { exportCommand, importCommand } from './weights-commands.ts';
import { BACKEND_OPTION, ENGINE_OPTION, runStageCommand, stageSpec, type StageRunner } from './stage-command.ts';

export interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, workspaceRoot: string): Promise<number>;
}

const stageRunners: StageRunner[] = [
  { def: datasetStage, run: (ctx) => runDatasetStage(ctx.config as DatasetConfig, ctx.outDir, { quiet: ctx.quiet }) },
  {
    def: trainStage,
    globals: [ENGINE_OPTION, BACKEND_OPTION, { name: 'fresh', type: 'boolean', description: 'ignore a saved partial run and start from step 0' }],
    run: (ctx) =>
      runTrainStage(ctx.config as TrainConfig, {
        outDir: ctx.outDir,
        datasetDir: ctx.upstreamDirs.dataset!,
        quiet: ctx.quiet,
        backend: ctx.options.backend as string | undefined,
        fresh: Boolean(ctx.options.fresh),
      }),
  },
  circuitsRunner,
  llcRunner,
];

export { findWorkspaceRoot };

export const COMMANDS: Command[] = [
  ...stageRunners.map((r) => ({ spec: stageSpec(r), run: (args: ParsedArgs, root: string) => runStageCommand(r, args, root) })),
  reportCommand,
  calibrateCommand,
  diagnoseCommand,
  evalCommand,
  exportCommand,
  importCommand,
  benchCommand,
  planCommand,
  findingsCommand,
  studyRunCommand,
  studyListCommand,
  studyJobsCommand,
  cacheServerCommand,
  schemaCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    'Usage: sortscope <command> [options]',
    '',
    'Developmental interpretability of small algorithmic transformers.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    "Run 'sortscope <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  try {
    const words: string[] = [];
    while (words.length < argv.length && !argv[words.length].startsWith('-')) words.push(argv[words.length]);
    // the longest command name that matches the leading words ("llc calibrate" before "llc")
    let command: Command | undefined;
    let used = 0;
    for (let k = words.length; k >= 1 && !command; k--) {
      command = COMMANDS.find((c) => c.spec.name === words.slice(0, k).join(' '));
      used = k;
    }
    if (!command) {
      if (words.length === 0 || words[0] === 'help') {
        process.stdout.write(`${topHelp()}\n`);
        return words.length === 0 && !argv.includes('--help') && !argv.includes('-h') ? 2 : 0;
      }
      process.stderr.write(`sortscope: unknown command '${words[0]}'\n\n${topHelp()}\n`);
      return 2;
    }
    const rest = argv.slice(used).map((a) => (a === '-h' ? '--help' : a));
    if (rest.includes('--help')) {
      process.stdout.write(`${helpText(command.spec)}\n`);
      return 0;
    }
    const args = parseArgs(rest, command.spec);
    // the engine choice reaches every engine, worker threads included, through the environment
    if (typeof args.globals.engine === 'string') process.env.SORTSCOPE_ENGINE = engineChoice(args.globals.engine);
    return await command.run(args, findWorkspaceRoot());
  } catch (err) {
    if (err instanceof SortscopeError) {
      process.stderr.write(`sortscope: ${err.name}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
