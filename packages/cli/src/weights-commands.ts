/**
 * `sortscope export`: a checkpoint of a training run → TransformerLens safetensors.
 * `sortscope import`: TransformerLens safetensors → a one-checkpoint 'train/checkpoints' artifact,
 * which the circuits and llc stages read like a training run's.
 */
import { basename } from 'node:path';
import { ArtifactError, ConfigError } from '@sortscope/core/errors';
import type { Command } from './command.ts';

export const exportCommand: Command = {
  spec: {
    name: 'export',
    summary: 'Write one checkpoint of a training run as TransformerLens-format safetensors.',
    globals: [
      { name: 'checkpoints', type: 'string', value: 'FILE', description: 'a train stage checkpoints.arrow (required)' },
      { name: 'step', type: 'number', value: 'S', description: 'the checkpoint at training step S [default: the last]' },
      { name: 'out', type: 'string', value: 'FILE', description: 'the .safetensors file to write (required)' },
      { name: 'quiet', type: 'boolean', description: 'no log line' },
    ],
    notes: ['Load it in Python: model.load_state_dict(safetensors.torch.load_file(FILE)) on a HookedTransformer with the same config (attn_only, normalization LN or none).'],
  },
  async run(args) {
    const from = args.globals.checkpoints as string | undefined;
    const out = args.globals.out as string | undefined;
    if (!from || !out) throw new ConfigError("sortscope export: --checkpoints FILE and --out FILE are required (see 'sortscope export --help')");
    const { log } = await import('@sortscope/core/progress');
    const { checkpointParams, readCheckpoints } = await import('@sortscope/train');
    const { saveWeights } = await import('@sortscope/model');
    const { checkRecordedHash } = await import('@sortscope/core');
    checkRecordedHash(from); // a train folder's checkpoints.arrow: as its manifest recorded it
    const ck = readCheckpoints(from);
    const step = (args.globals.step as number | undefined) ?? ck.steps.at(-1)!;
    const index = ck.steps.indexOf(step);
    if (index < 0) throw new ConfigError(`--step: got ${step}; expected one of the checkpoint steps ${ck.steps.join(', ')}`);
    saveWeights(out, checkpointParams(ck, index), ck.cfg, { 'sortscope.step': String(step), 'sortscope.source': ck.sha256 });
    log(`export: step ${step} of ${from} → ${out}`, Boolean(args.globals.quiet));
    return 0;
  },
};

export const importCommand: Command = {
  spec: {
    name: 'import',
    summary: 'Turn TransformerLens-format safetensors into a one-checkpoint Arrow artifact.',
    globals: [
      { name: 'weights', type: 'string', value: 'FILE', description: 'safetensors with TransformerLens names (required)' },
      { name: 'out', type: 'string', value: 'FILE', description: 'the checkpoints.arrow to write (required)' },
      { name: 'step', type: 'number', value: 'S', description: "the step to record [default: the file's sortscope.step, else 0]" },
      { name: 'quiet', type: 'boolean', description: 'no log line' },
    ],
  },
  async run(args) {
    const path = args.globals.weights as string | undefined;
    const out = args.globals.out as string | undefined;
    if (!path || !out) throw new ConfigError("sortscope import: --weights FILE and --out FILE are required (see 'sortscope import --help')");
    const { hashFile, log } = await import('@sortscope/core');
    const { loadWeights } = await import('@sortscope/model');
    const { writeCheckpoints } = await import('@sortscope/train');
    const w = loadWeights(path, { quiet: Boolean(args.globals.quiet) }); // validated in full before anything is written
    const flag = args.globals.step as number | undefined;
    if (flag !== undefined && !(Number.isSafeInteger(flag) && flag >= 0)) throw new ConfigError(`--step: got ${flag}; expected an integer >= 0`);
    const stored = w.metadata['sortscope.step'];
    if (flag === undefined && stored !== undefined && !/^\d+$/.test(stored)) {
      throw new ArtifactError(`${path}: __metadata__ sortscope.step is ${JSON.stringify(stored)}; expected an integer >= 0 (or pass --step S)`);
    }
    const step = flag ?? Number(stored ?? 0);
    // the file's name, not its path: no absolute paths in artifacts (docs/artifacts.md); its hash identifies it
    writeCheckpoints(out, w.cfg, [step], 1, [w.params], { stage: 'import', stageVersion: '1', config: {}, seed: null, inputs: { weights: await hashFile(path) }, extra: { imported_from: basename(path) } });
    log(`import: ${path} (${w.layout.size} parameters) → ${out}`, Boolean(args.globals.quiet));
    return 0;
  },
};
