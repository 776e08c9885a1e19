/**
 * `sortscope eval --weights FILE [--data FILE] --json`: loss, accuracies, loss per output
 * position and each head's mean-ablation loss increase of a TransformerLens-format checkpoint.
 * Data: a dataset split (.arrow, its `tokens` column), raw rows of n_ctx uint8 tokens (.u8, like
 * the fixture's eval-10000x21.u8), or by default 10,000 fresh clean sequences for the model's vocabulary.
 */
import { ArtifactError, ConfigError } from '@sortscope/core/errors';
import { readInputFile } from '@sortscope/core/input-file';
import { DatasetConfigSchema } from '@sortscope/dataset/schema';
import type { loadWeights, ModelConfig } from '@sortscope/model';
import { BACKEND_OPTION, type Command, ENGINE_OPTION } from './command.ts';

/** The most fresh sequences the default data can have (the dataset schema's n_validation bound). */
const MAX_FRESH_ROWS = 10_000_000;

/** `--rows`: absent, or a positive integer (checked against the rows available once the data is read). */
export function checkRows(rows: unknown): number | undefined {
  if (rows === undefined) return undefined;
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 1) throw new ConfigError(`--rows: got ${rows}; expected a positive integer`);
  return rows;
}

export async function loadEvalTokens(path: string | undefined, cfg: ModelConfig, rowsFlag: number | undefined): Promise<{ tokens: Uint8Array; rows: number; source: string }> {
  const { checkSequences, checkSplitVocab, generateDataset, readSplit } = await import('@sortscope/dataset');
  const rows = checkRows(rowsFlag);
  if (path === undefined) {
    if (rows !== undefined && rows > MAX_FRESH_ROWS) throw new ConfigError(`--rows: got ${rows}; expected at most ${MAX_FRESH_ROWS} fresh sequences (or pass --data FILE)`);
    const parsed = DatasetConfigSchema.safeParse({ list_length: cfg.list_length, max_number: cfg.d_vocab - 2, n_train: 1, n_validation: rows ?? 10_000, n_test: 0 });
    if (!parsed.success) {
      throw new ConfigError(`eval: cannot generate fresh lists of ${cfg.list_length} distinct numbers for the model's vocabulary (d_vocab ${cfg.d_vocab}, numbers 0..${cfg.d_vocab - 2}): ${parsed.error.issues.map((i) => i.message).join('; ')}; pass --data FILE`);
    }
    const ds = generateDataset(parsed.data);
    return { tokens: ds.splits.validation.tokens, rows: ds.splits.validation.rows, source: `${ds.splits.validation.rows} fresh clean sequences (dataset seed 0)` };
  }
  let tokens: Uint8Array;
  if (path.endsWith('.arrow')) {
    const split = readSplit(path);
    checkSplitVocab(split.vocab, cfg, `--data ${path}`);
    tokens = split.tokens;
  } else {
    tokens = readBytes(path);
    // every row: the model's row length, vocabulary and SEP column (another vocabulary's rows are refused, not evaluated)
    checkSequences(tokens, cfg, `--data ${path}`);
  }
  const all = tokens.length / cfg.n_ctx;
  if (all === 0) throw new ArtifactError(`--data ${path} holds no rows; expected at least one row of ${cfg.n_ctx} tokens`);
  if (rows !== undefined && rows > all) throw new ConfigError(`--rows: got ${rows}, but --data ${path} holds only ${all} rows`);
  const n = rows ?? all;
  const used = tokens.subarray(0, n * cfg.n_ctx);
  const bad = used.findIndex((t) => t >= cfg.d_vocab);
  if (bad >= 0) throw new ArtifactError(`--data ${path}: token ${used[bad]} at row ${Math.floor(bad / cfg.n_ctx)}, position ${bad % cfg.n_ctx} is outside the model's vocabulary (d_vocab ${cfg.d_vocab})`);
  return { tokens: used, rows: n, source: path };
}

function readBytes(path: string): Uint8Array {
  return new Uint8Array(readInputFile(path, '--data'));
}

export const evalCommand: Command = {
  spec: {
    name: 'eval',
    summary: 'Evaluate TransformerLens-format weights: loss, accuracies, loss per position, head ablations.',
    globals: [
      { name: 'weights', type: 'string', value: 'FILE', description: 'safetensors file with TransformerLens names (required)' },
      { name: 'data', type: 'string', value: 'FILE', description: 'a dataset split (.arrow) or raw uint8 rows (.u8); default: 10,000 fresh clean sequences' },
      { name: 'rows', type: 'number', value: 'N', description: 'evaluate only the first N rows' },
      { name: 'no-ablation', type: 'boolean', description: 'skip the per-head mean-ablation (3 more passes over the data)' },
      { name: 'calibration', type: 'boolean', description: "calibration (ECE, reliability, confidence on wrong tokens), clean and with each head's copy suppression removed (its negative self-token direct effects; float64, one-layer models; packages/circuits/src/calibration.ts)" },
      { name: 'check-engines', type: 'boolean', description: 'run the evaluation on the fused engine and on tfjs (the reference) and report the largest differences; exit 1 if they disagree' },
      { name: 'json', type: 'boolean', description: 'print the results as JSON' },
      { name: 'quiet', type: 'boolean', description: 'no log lines on stderr' },
      ENGINE_OPTION,
      BACKEND_OPTION,
    ],
    notes: ['head_ablation_loss_increase is [layer][head]: loss with the head\'s z replaced by its per-position mean over the data, minus the clean loss.'],
  },
  async run(args) {
    const path = args.globals.weights as string | undefined;
    if (!path) throw new ConfigError("sortscope eval: --weights FILE is required (see 'sortscope eval --help')");
    const quiet = Boolean(args.globals.quiet);
    checkRows(args.globals.rows); // before the weights are read, so a bad flag fails fast
    const { log } = await import('@sortscope/core/progress');
    const { loadWeights } = await import('@sortscope/model');
    const w = loadWeights(path, { quiet });
    const data = await loadEvalTokens(args.globals.data as string | undefined, w.cfg, args.globals.rows as number | undefined);
    if (args.globals['check-engines']) return checkEngines(w, data, args.globals, quiet);
    // the engines (tfjs among them) once the weights and the data are known to be good
    const { createEngine, evaluateTokens, headAblationLossIncrease, summarize } = await import('@sortscope/engine');
    const engine = await createEngine(w.cfg, { backend: args.globals.backend as string | undefined });
    log(`eval: ${path} (${w.layout.size} parameters) on ${data.source}, engine ${engine.name}`, quiet);
    let s;
    let ablation;
    try {
      s = summarize(evaluateTokens(engine, w.params, data.tokens, data.rows), w.cfg.list_length);
      ablation = args.globals['no-ablation'] ? null : headAblationLossIncrease(engine, w.params, data.tokens, data.rows);
    } finally {
      engine.dispose();
    }
    if (!Number.isFinite(s.loss)) {
      let big = 0;
      for (const x of w.params) big = Math.max(big, Math.abs(x));
      throw new ArtifactError(`${path}: the float32 forward pass overflowed (loss ${s.loss}; the largest |weight| is ${big.toExponential(2)}); expected weights whose logits float32 can hold`);
    }
    let calibration = null;
    if (args.globals.calibration) {
      const { calibrationReport } = await import('@sortscope/circuits');
      log(`eval: calibration on ${data.rows} rows (float64 forward)`, quiet);
      calibration = calibrationReport(w.cfg, w.params, data.tokens, data.rows);
    }
    const result = {
      loss: s.loss,
      token_accuracy: s.token_accuracy,
      sequence_accuracy: s.sequence_accuracy,
      loss_per_position: s.loss_per_position,
      head_ablation_loss_increase: ablation,
      rows: data.rows,
      engine: engine.name,
      ...(calibration ? { calibration } : {}),
    };
    if (args.globals.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(
        `loss ${s.loss.toFixed(5)}  token accuracy ${(100 * s.token_accuracy).toFixed(2)}%  sequence accuracy ${(100 * s.sequence_accuracy).toFixed(2)}%  (${data.rows} rows)\n` +
          `loss per position: ${s.loss_per_position.map((x) => x.toFixed(4)).join(' ')}\n` +
          (ablation ? ablation.map((l, L) => `layer ${L} head ablation loss increase: ${l.map((x, h) => `H${h} ${x.toFixed(4)}`).join('  ')}\n`).join('') : '') +
          (calibration ? calibrationTable(calibration) : ''),
      );
    }
    return 0;
  },
};

function calibrationTable(c: import('@sortscope/circuits').CalibrationReport): string {
  type Cal = import('@sortscope/circuits').Calibration;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`.padStart(8);
  const row = (label: string, k: Cal, extra = '') =>
    `${label.padEnd(26)}${k.loss.toFixed(5).padStart(9)}${pct(k.accuracy)}${pct(k.mean_confidence)}${pct(k.overconfidence)}${(k.confidence_wrong === null ? '-' : pct(k.confidence_wrong)).padStart(10)}${k.entropy.toFixed(4).padStart(9)}${k.ece.toFixed(5).padStart(9)}${extra}\n`;
  const bins = c.clean.reliability.filter((b) => b.count > 0).map((b) => `[${b.lo.toFixed(2)}, ${b.hi.toFixed(2)}) ${b.count}: conf ${b.confidence.toFixed(3)} acc ${b.accuracy.toFixed(3)}`);
  return (
    `calibration on ${c.clean.tokens} scored tokens:\n${''.padEnd(26)}     loss     acc    conf overconf conf|wrong  entropy      ECE\n` +
    row('clean', c.clean) +
    c.suppression_removed.map((h) => row(`L${h.layer}H${h.head} −suppr. (${h.sources})`, h.calibration, `  (+${h.removed_logit.toFixed(4)} logit per token)`)).join('') +
    `reliability, clean: ${bins.join('; ')}\n`
  );
}

/** `eval --check-engines`: the same evaluation on both engines; exit 1 when they disagree. */
async function checkEngines(w: ReturnType<typeof loadWeights>, data: { tokens: Uint8Array; rows: number; source: string }, globals: Record<string, unknown>, quiet: boolean): Promise<number> {
  const { log } = await import('@sortscope/core/progress');
  const { compareEngines, createEngine } = await import('@sortscope/engine');
  const fused = await createEngine(w.cfg, { engine: 'fused' });
  const tfjs = await createEngine(w.cfg, { engine: 'tfjs', backend: globals.backend as string | undefined });
  log(`eval --check-engines: ${fused.name} against ${tfjs.name} on ${data.source}`, quiet);
  let c;
  try {
    c = compareEngines(fused, tfjs, w.params, data.tokens, data.rows, { ablation: !globals['no-ablation'] });
  } finally {
    fused.dispose();
    tfjs.dispose();
  }
  if (globals.json) process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
  else {
    const d = c.max_diff;
    process.stdout.write(
      `${c.engines[0]} vs ${c.engines[1]} on ${c.rows} rows: loss ${c.loss[0].toFixed(6)} vs ${c.loss[1].toFixed(6)}\n` +
        `largest differences: mean loss ${d.loss.toExponential(2)}, per-token loss ${d.token_nll.toExponential(2)}, token accuracy ${d.token_accuracy.toExponential(2)}` +
        (d.ablation === null ? '' : `, head ablation ${d.ablation.toExponential(2)}`) +
        `\n${c.agree ? 'the engines agree' : 'THE ENGINES DISAGREE'} (tolerances: mean loss ${c.tolerance.loss}, per-token loss ${c.tolerance.token_nll}, ablation ${c.tolerance.ablation})\n`,
    );
  }
  if (!c.agree) process.stderr.write('sortscope: eval --check-engines: the fused and tfjs engines disagree beyond the tolerances; do not trust results of the fused engine for this model, and please report it\n');
  return c.agree ? 0 : 1;
}
