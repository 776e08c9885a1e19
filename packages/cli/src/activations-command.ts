/**
 * `sortscope activations --weights FILE --hooks NAME[,NAME…] [--data FILE] [--rows N] --out FILE.arrow`:
 * TransformerLens-named activations of a checkpoint on many sequences (`run_with_cache` without
 * Python), as one Arrow file with a row per sequence:
 *
 *   row        int32                       the sequence's index in the data
 *   tokens     FixedSizeList<uint8>[n_ctx]  the sequence (the model is fed the first n_ctx − 1)
 *   <hook>     FixedSizeList<float32>[k]    each requested hook, named exactly as in TransformerLens
 *                                           (e.g. blocks.0.attn.hook_pattern), its per-row values
 *                                           flattened row-major; `sortscope.shapes` gives [rows, …]
 *
 * Data as `eval`: a dataset split (.arrow), raw uint8 rows (.u8), or fresh clean sequences
 * (1,000 by default here).
 */
import { ConfigError } from '@sortscope/core/errors';
import { BACKEND_OPTION, type Command, ENGINE_OPTION } from './command.ts';
import { checkRows, loadEvalTokens } from './eval-command.ts';

/** The most bytes of activations one file may hold (Arrow JS builds the table in memory). */
export const MAX_ACTIVATION_BYTES = 2 ** 31;
const DEFAULT_FRESH_ROWS = 1000;

export const activationsCommand: Command = {
  spec: {
    name: 'activations',
    summary: 'Write TransformerLens-named activations (hook_pattern, hook_z, hook_resid_post, …) of a checkpoint on many sequences as Arrow.',
    globals: [
      { name: 'weights', type: 'string', value: 'FILE', description: 'safetensors file with TransformerLens names (required; `sortscope export` writes one from a training run)' },
      { name: 'hooks', type: 'string', value: 'NAMES', description: "comma-separated TransformerLens hook names, e.g. blocks.0.attn.hook_pattern,blocks.0.hook_resid_post, or 'all' (required)" },
      { name: 'data', type: 'string', value: 'FILE', description: `a dataset split (.arrow) or raw uint8 rows (.u8); default: ${DEFAULT_FRESH_ROWS.toLocaleString('en-US')} fresh clean sequences` },
      { name: 'rows', type: 'number', value: 'N', description: 'only the first N rows' },
      { name: 'out', type: 'string', value: 'FILE', description: 'the .arrow file to write (required)' },
      { name: 'quiet', type: 'boolean', description: 'no log lines on stderr' },
      ENGINE_OPTION,
      BACKEND_OPTION,
    ],
    notes: [
      'Python: t = pyarrow.ipc.open_file(FILE).read_all(); shape = json.loads(t.schema.metadata[b"sortscope.shapes"])[NAME]; a = t[NAME].combine_chunks().flatten().to_numpy().reshape(shape)',
      'Hooks of a one-layer LayerNorm model: hook_embed, hook_pos_embed, blocks.0.{hook_resid_pre, ln1.hook_normalized, attn.hook_q, attn.hook_k, attn.hook_v, attn.hook_attn_scores, attn.hook_pattern, attn.hook_z, hook_attn_out, hook_resid_post}, ln_final.hook_normalized.',
    ],
  },
  async run(args) {
    const g = args.globals;
    const path = g.weights as string | undefined;
    const out = g.out as string | undefined;
    const hooksFlag = g.hooks as string | undefined;
    if (!path || !out || !hooksFlag) throw new ConfigError("sortscope activations: --weights FILE, --hooks NAMES and --out FILE are required (see 'sortscope activations --help')");
    if (!out.endsWith('.arrow')) throw new ConfigError(`--out: got ${out}; expected a file name ending in .arrow`);
    checkRows(g.rows);
    const quiet = Boolean(g.quiet);
    const { hashFile, log, tableOf, numberVector, fixedSizeListVector, writeArtifact } = await import('@sortscope/core');
    const { activationBytes, collectActivations, createEngine, resolveHooks } = await import('@sortscope/engine');
    const { loadWeights } = await import('@sortscope/model');
    const w = loadWeights(path, { quiet });
    let hooks;
    try {
      hooks = resolveHooks(w.cfg, hooksFlag.split(',').map((s) => s.trim()).filter(Boolean));
    } catch (err) {
      throw new ConfigError(`--hooks: ${(err as Error).message}`);
    }
    const data = await loadEvalTokens(g.data as string | undefined, w.cfg, (g.rows as number | undefined) ?? (g.data === undefined ? DEFAULT_FRESH_ROWS : undefined));
    const bytes = activationBytes(w.cfg, hooks, data.rows);
    if (bytes > MAX_ACTIVATION_BYTES) throw new ConfigError(`--hooks/--rows: ${hooks.length} hook(s) on ${data.rows} rows are ${(bytes / 2 ** 30).toFixed(1)} GiB of float32; at most ${MAX_ACTIVATION_BYTES / 2 ** 30} GiB per file: pass fewer --rows or hooks`);
    const engine = await createEngine(w.cfg, { backend: g.backend as string | undefined });
    log(`activations: ${hooks.length} hook(s) of ${path} on ${data.source}, ${data.rows} rows, engine ${engine.name}`, quiet);
    let acts;
    try {
      acts = collectActivations(engine, w.params, data.tokens, data.rows, hooks);
    } finally {
      engine.dispose();
    }
    const columns: Record<string, ReturnType<typeof numberVector>> = {
      row: numberVector(Int32Array.from({ length: data.rows }, (_, i) => i)),
      tokens: fixedSizeListVector(data.tokens.subarray(0, data.rows * w.cfg.n_ctx), w.cfg.n_ctx),
    };
    for (const h of hooks) columns[h] = fixedSizeListVector(acts[h].data, acts[h].data.length / data.rows); // [rows, …] → rows of prod(…)
    const config = { hooks, rows: data.rows, data: data.source, engine: engine.name };
    writeArtifact(out, tableOf(columns), {
      kind: 'activations',
      schemaVersion: 1,
      stage: 'activations',
      stageVersion: '1',
      config,
      seed: null,
      inputs: { weights: await hashFile(path), ...(g.data !== undefined ? { data: await hashFile(g.data as string) } : {}) },
      extra: { shapes: Object.fromEntries(hooks.map((h) => [h, acts[h].shape])), model: w.cfg },
    });
    log(`activations: wrote ${out} (${(bytes / 1e6).toFixed(1)} MB of activations)`, quiet);
    return 0;
  },
};
