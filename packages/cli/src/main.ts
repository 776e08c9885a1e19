/**
 * `sortscope <command>`: one CLI for every stage and tool. Exit codes: 0 ok, 1 unexpected error,
 * 2 bad config or flags (nothing written), 3 unusable artifact, 4 shape mismatch.
 *
 * Start-up stays light: the table below holds each command's name and summary, and a command's
 * module is imported only when that command is used. Stage commands build their flags from the
 * stage's schema module (zod only); the stage's code (tfjs, Arrow, …) is imported only to run.
 * So `sortscope --help`, `sortscope train --help` and a mistyped command or flag answer at once.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { DatasetConfig } from '@sortscope/dataset';
import type { TrainConfig } from '@sortscope/train';
import type { GlobalOption } from '@sortscope/core/cli-args';
import { environmentError } from '@sortscope/core/environment-error';
import { ConfigError, SortscopeError } from '@sortscope/core/errors';
import type { StageName } from '@sortscope/core';
import { BACKEND_OPTION, type Command, ENGINE_OPTION, STAGE_GLOBALS, type StageParts } from './command.ts';

/** A command as the table lists it; `load` imports its module. */
interface Entry {
  name: string;
  summary: string;
  load(): Promise<Command>;
  /** interrupting it (Ctrl-C) leaves work that a rerun resumes */
  resumable?: boolean;
}

function stageEntry(name: StageName, summary: string, parts: () => Promise<StageParts>): Entry {
  return {
    name,
    summary,
    resumable: true,
    async load() {
      const p = await parts();
      return {
        spec: { name, summary, section: { name, schema: p.schema }, globals: [...STAGE_GLOBALS, ...(p.globals ?? [])], notes: p.notes },
        async run(args, root) {
          // the stage's code (p.runner) is imported only once the config is valid and there is work to do
          const { runStageCommand } = await import('@sortscope/workspace/stage-command');
          return runStageCommand(name, () => p.runner(), args, root);
        },
      };
    },
  };
}

function command(name: string, summary: string, load: () => Promise<Command>, resumable = false): Entry {
  return { name, summary, load, resumable };
}

const TRAIN_OPTIONS: GlobalOption[] = [ENGINE_OPTION, BACKEND_OPTION];

export const ENTRIES: Entry[] = [
  stageEntry('dataset', 'Generate the sorting datasets (train with optional noise; clean validation and test) as Arrow files.', async () => ({
    schema: (await import('@sortscope/dataset/schema')).DatasetConfigSchema,
    async runner() {
      const { datasetStage, runDatasetStage } = await import('@sortscope/dataset');
      return { def: datasetStage, run: (ctx) => runDatasetStage(ctx.config as DatasetConfig, ctx.outDir, { quiet: ctx.quiet }) };
    },
  })),
  stageEntry('train', 'Train the sorting transformer on the dataset, with checkpoints along training (resumable).', async () => ({
    schema: (await import('@sortscope/train/schema')).TrainConfigSchema,
    globals: TRAIN_OPTIONS,
    async runner() {
      const { runTrainStage, trainStage } = await import('@sortscope/train');
      return {
        def: trainStage,
        run: (ctx) =>
          runTrainStage(ctx.config as TrainConfig, {
            outDir: ctx.outDir,
            datasetDir: ctx.upstreamDirs.dataset!,
            quiet: ctx.quiet,
            backend: ctx.options.backend as string | undefined,
          }),
      };
    },
  })),
  stageEntry(
    'circuits',
    'QK/OV circuits in the vocabulary basis at every checkpoint, translational-symmetry measures with a relabeling null, head specialisation, ablations and attention.',
    async () => (await import('./circuits-runner.ts')).circuitsParts,
  ),
  stageEntry(
    'llc',
    'Estimate the local learning coefficient at the checkpoints of a training run (SGLD on the canonical form; or devinterp on the raw weights).',
    async () => (await import('./llc-commands.ts')).llcParts,
  ),
  command('report', "Write a study's report: one self-contained HTML page, SVG/PNG figures and GIFs of the circuits over training.", async () => (await import('./report-command.ts')).reportCommand),
  command('llc calibrate', "Sweep the SGLD step × localization γ (× nβ) on one checkpoint; report the LLC surface, its invariance under the model's symmetries, and a recommendation.", async () => (await import('./llc-commands.ts')).calibrateCommand),
  command('llc diagnose', "Check an LLC estimate on one checkpoint: stationarity, convergence, invariance under the model's symmetries, curvature; with --sweep, λ̂ against γ, ε, nβ and chain length, and each head against the whole model.", async () => (await import('./llc-commands.ts')).diagnoseCommand),
  command('activations', 'Write TransformerLens-named activations (hook_pattern, hook_z, hook_resid_post, …) of a checkpoint on many sequences as Arrow.', async () => (await import('./activations-command.ts')).activationsCommand),
  command('eval', 'Evaluate TransformerLens-format weights: loss, accuracies, loss per position, head ablations.', async () => (await import('./eval-command.ts')).evalCommand),
  command('export', 'Write one checkpoint of a training run as TransformerLens-format safetensors.', async () => (await import('./weights-commands.ts')).exportCommand),
  command('import', 'Turn TransformerLens-format safetensors into a one-checkpoint Arrow artifact.', async () => (await import('./weights-commands.ts')).importCommand),
  command('bench', 'Milliseconds per training step, SGLD step, gradient and forward pass for every available engine (and PyTorch, with --torch).', async () => (await import('./bench-command.ts')).benchCommand),
  command('plan', 'List the experiments (of SORTSCOPE_STUDY, default: experiments/) and where each of their stages writes its artifacts.', async () => (await import('./plan-command.ts')).planCommand),
  command('findings', "Print the numbers docs/findings.md is written from, for a study's experiments: from its artifacts, or from its committed compact results.", async () => (await import('./findings-command.ts')).findingsCommand),
  command('study run', "Run a study's experiments through Nx: all of them and the report, or one shard (--shard i/N).", async () => (await import('./study-command.ts')).studyRunCommand, true),
  command('study list', "List a study's experiments (sweeps expanded), their shard and their stage keys.", async () => (await import('./study-command.ts')).studyListCommand),
  command('study verify', "Recompute a random sample of a study's finished stage tasks and compare them bit for bit with the folders here (e.g. restored from a shared cache).", async () => (await import('./study-verify-command.ts')).studyVerifyCommand),
  command('study jobs', 'Write a Slurm job array and a Kubernetes Indexed Job that run a study in N shards, then its report.', async () => (await import('./study-command.ts')).studyJobsCommand),
  command('cache-server', 'Serve a shared Nx remote cache (HTTP, Nx self-hosted cache API) from a folder.', async () => (await import('./study-command.ts')).cacheServerCommand),
  command('cache-server forget', "Take entries out of a shared Nx cache folder (moved aside, never served again), by task hash or by the artifacts folder they hold, so the next run recomputes them.", async () => (await import('./cache-forget-command.ts')).cacheForgetCommand),
  command('schema', 'Print (or write) the JSON Schema of experiment (or sweep) files.', async () => (await import('./schema-command.ts')).schemaCommand),
  command('clean', 'List (or with --yes remove) the artifact folders that no experiment of any study references.', async () => (await import('./clean-command.ts')).cleanCommand),
];

/** The commands under a group word: `study` → study run, study list, study jobs. */
function subcommands(group: string): Entry[] {
  return ENTRIES.filter((e) => e.name.startsWith(`${group} `));
}

function listing(entries: Entry[]): string[] {
  const width = Math.max(...entries.map((e) => e.name.length)) + 2;
  return entries.map((e) => `  ${e.name.padEnd(width)}${e.summary}`);
}

function topHelp(): string {
  return [
    'Usage: sortscope <command> [options]',
    '',
    'Developmental interpretability of small algorithmic transformers.',
    '',
    'Commands:',
    ...listing(ENTRIES),
    '',
    'Options: --help (-h) this list; --version (-v) the version.',
    "Run 'sortscope <command> --help' for a command's options.",
  ].join('\n');
}

function groupHelp(group: string): string {
  return [`Usage: sortscope ${group} <command> [options]`, '', 'Commands:', ...listing(subcommands(group)), '', `Run 'sortscope ${group} <command> --help' for a command's options.`].join('\n');
}

export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Edit distance with adjacent transpositions counted as one edit ("trian" → "train" is 1). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidates closest to a mistyped word (all that tie), or those it begins; none when nothing is close. */
export function closest(word: string, candidates: string[]): string[] {
  const scored = candidates.map((c) => ({ c, d: distance(word.toLowerCase(), c.toLowerCase()) }));
  const best = Math.min(...scored.map((s) => s.d));
  if (best <= Math.max(2, Math.floor(word.length / 3))) return scored.filter((s) => s.d === best).map((s) => s.c);
  return word.length >= 3 ? candidates.filter((c) => c.startsWith(word)) : [];
}

/** The subcommand of `group` closest to `word` ("study", "rn" → "study run"), if one is close. */
function closestSub(group: string, word: string): string | undefined {
  const names = closest(word, subcommands(group).map((e) => e.name.slice(group.length + 1)));
  return names.length === 1 ? `${group} ${names[0]}` : undefined;
}

/** `; did you mean "train"?`, or `otherwise` when there is nothing to suggest. */
function didYouMean(names: string[], otherwise: string, quote = '"'): string {
  return names.length ? `; did you mean ${names.map((n) => `${quote}${n}${quote}`).join(' or ')}?` : otherwise;
}

const INTERRUPTED = 'sortscope: interrupted: rerun the same command to resume (train resumes from its last checkpoint, llc from its last finished checkpoint)';

/**
 * On Ctrl-C, say how to resume. The terminal sends SIGINT to the whole foreground process group:
 * this process keeps Node's default (it stops at once, even inside a synchronous training loop,
 * and the shell sees exit status 130), and a tiny `sh` beside it prints the line. A JavaScript
 * SIGINT handler could not: it runs only when the event loop is free, so it would hold Ctrl-C
 * back until a training run had finished. The `sh` ends when this process does (its stdin closes).
 */
function sayHowToResumeOnInterrupt(): void {
  const script = 'trap \'[ -t 2 ] && printf "\\n" >&2; printf "%s\\n" "$0" >&2; exit 0\' INT; read _';
  const notice = spawn('/bin/sh', ['-c', script, INTERRUPTED], { stdio: ['pipe', 'ignore', 'inherit'] });
  notice.on('error', () => {}); // no sh: no notice
  notice.unref(); // neither the child nor its stdin pipe keeps this process alive
  (notice.stdin as Socket | null)?.unref();
}

export interface MainOptions {
  /** print how to resume when the command is interrupted (bin/sortscope.mjs sets it) */
  interruptNotice?: boolean;
}

export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  try {
    if (argv[0] === '--version' || argv[0] === '-v') {
      process.stdout.write(`sortscope ${version()}\n`);
      return 0;
    }
    // `sortscope help train` is `sortscope train --help`
    if (argv[0] === 'help') argv = argv.length > 1 ? [...argv.slice(1), '--help'] : ['--help'];
    const help = argv.includes('--help') || argv.includes('-h');
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
      process.stdout.write(`${topHelp()}\n`);
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0].startsWith('-')) {
      throw new ConfigError(`unknown option ${argv[0]}${didYouMean(closest(argv[0], ['--help', '--version']), "; a command's options go after it (see 'sortscope --help')", '')}`);
    }
    const words: string[] = [];
    while (words.length < argv.length && !argv[words.length].startsWith('-')) words.push(argv[words.length]);
    // the longest command name that matches the leading words ("llc calibrate" before "llc")
    let entry: Entry | undefined;
    let used = 0;
    for (let k = words.length; k >= 1 && !entry; k--) {
      entry = ENTRIES.find((e) => e.name === words.slice(0, k).join(' '));
      used = k;
    }
    if (!entry) {
      const group = subcommands(words[0]);
      if (group.length === 0) {
        const firstWords = [...new Set(ENTRIES.map((e) => e.name.split(' ')[0])), 'help'];
        // `stduy rn` → "study run": a group's subcommand is suggested when the next word is close to one
        const names = closest(words[0], firstWords).map((c) => (words[1] && subcommands(c).length ? (closestSub(c, words[1]) ?? c) : c));
        throw new ConfigError(`unknown command "${words[0]}"${didYouMean(names, "; see 'sortscope --help' for the commands")}`);
      }
      if (words.length > 1) {
        const sub = closestSub(words[0], words[1]);
        throw new ConfigError(`unknown command "${words[0]} ${words[1]}"${didYouMean(sub ? [sub] : [], `; see 'sortscope ${words[0]} --help' for its commands`)}`);
      }
      // a group alone lists its commands: a usage error (exit 2) unless help was asked for
      process.stdout.write(`${groupHelp(words[0])}\n`);
      return help ? 0 : 2;
    }
    // `llc calibrat`: a word after a command that has subcommands, close to one of them
    const sub = words.length > used ? closestSub(entry.name, words[used]) : undefined;
    if (sub) throw new ConfigError(`unknown command "${entry.name} ${words[used]}"; did you mean "${sub}"?`);
    const command = await entry.load();
    const { helpText, parseArgs } = await import('@sortscope/core/cli-args');
    const rest = argv.slice(used).map((a) => (a === '-h' ? '--help' : a));
    if (rest.includes('--help')) {
      process.stdout.write(`${helpText(command.spec)}\n`);
      return 0;
    }
    const args = parseArgs(rest, command.spec);
    // the engine choice reaches every engine, worker threads included, through the environment
    if (typeof args.globals.engine === 'string') process.env.SORTSCOPE_ENGINE = (await import('@sortscope/engine')).engineChoice(args.globals.engine);
    const { findWorkspaceRoot } = await import('@sortscope/workspace/experiment');
    if (entry.resumable && opts.interruptNotice) sayHowToResumeOnInterrupt();
    // run by a pipeline (Nx passes --expect-key): end with it rather than outlive it (parent-watch.ts)
    if (opts.interruptNotice && typeof args.globals['expect-key'] === 'string') (await import('./parent-watch.ts')).endWithParent();
    return await command.run(args, findWorkspaceRoot());
  } catch (err) {
    // a full disk, a read-only folder, a port in use, no memory: one clear line, not a stack trace
    const known = err instanceof SortscopeError ? err : environmentError(err);
    if (known) {
      process.stderr.write(`sortscope: ${known.name}: ${known.message}\n`);
      return known.exitCode;
    }
    throw err;
  }
}
