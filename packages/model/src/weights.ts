/**
 * TransformerLens-format weights as safetensors: import any attention-only HookedTransformer
 * state_dict with our layout's names (shapes decide the model config), export ours with the same
 * names and shapes plus the attention buffers TransformerLens keeps in its state_dict
 * (`blocks.L.attn.mask`, a lower-triangular BOOL [n_ctx, n_ctx], and `blocks.L.attn.IGNORE` = −1e5),
 * so `model.load_state_dict(safetensors.torch.load_file(path))` loads it strictly.
 *
 * Loading trusts nothing: the config is validated (weights-config.ts), the file must hold exactly
 * the model's tensors (an MLP or an extra layer is refused, not ignored), each with the layout's
 * shape and finite values; F64, F16 and BF16 are converted to float32 with a note. Every failure is
 * an ArtifactError (exit 3) that names the file and the tensor.
 */
import { ArtifactError, log } from '@sortscope/core';
import { type Layout, paramLayout } from './layout.ts';
import type { ModelConfig } from './model-config.ts';
import { f32Tensor, multiIndex, readSafetensors, type StFile, type StTensor, toFloat32, writeSafetensors } from './safetensors.ts';
import { IGNORE } from './model-config.ts';
import { configFromStateDict } from './weights-config.ts';

export { configFromStateDict } from './weights-config.ts';

export interface LoadedWeights {
  cfg: ModelConfig;
  layout: Layout;
  params: Float32Array;
  metadata: Record<string, string>;
  /** what was converted on load, e.g. "w.safetensors: 12 F64 tensors rounded to float32 (max relative change 3.0e-8)" */
  notes: string[];
}

/** Refuse tensors the model does not have and report the ones it needs but the file lacks, all at once. */
function checkTensorNames(file: StFile, cfg: ModelConfig, layout: Layout, source: string): void {
  const wanted = new Set(layout.params.map((p) => p.name));
  const missing = [...wanted].filter((name) => !file.tensors.has(name));
  const extra = [...file.tensors.keys()].filter((name) => !wanted.has(name) && !isAttentionBuffer(name, cfg));
  if (!missing.length && !extra.length) return;
  const model = `${cfg.n_layers}-layer attention-only model${cfg.layer_norm ? ' with LayerNorm' : ' without LayerNorm'}`;
  const parts = [];
  if (extra.length) parts.push(`tensors the ${model} does not have: ${extra.join(', ')}`);
  if (missing.length) parts.push(`tensors the ${model} needs but the file lacks: ${missing.join(', ')}`);
  const hint = extra.some((name) => /\.mlp\./.test(name)) ? '; sortscope models are attention-only, so an MLP model cannot be read' : '';
  throw new ArtifactError(`${source}: ${parts.join('; ')}${hint}`);
}

function isAttentionBuffer(name: string, cfg: ModelConfig): boolean {
  const m = /^blocks\.(\d+)\.attn\.(mask|IGNORE)$/.exec(name);
  return m !== null && Number(m[1]) < cfg.n_layers;
}

/** TransformerLens' buffers are not computed on, but must describe our attention: causal over n_ctx positions. */
function checkAttentionBuffers(file: StFile, cfg: ModelConfig, source: string): void {
  for (let L = 0; L < cfg.n_layers; L++) {
    const mask = file.tensors.get(`blocks.${L}.attn.mask`);
    if (mask) {
      const name = `blocks.${L}.attn.mask`;
      if (mask.dtype !== 'BOOL' && mask.dtype !== 'U8') throw new ArtifactError(`${source}: ${name} is ${mask.dtype}; expected BOOL`);
      if (mask.shape.join() !== `${cfg.n_ctx},${cfg.n_ctx}`) throw new ArtifactError(`${source}: ${name} has shape [${mask.shape.join(', ')}]; expected [${cfg.n_ctx}, ${cfg.n_ctx}] (n_ctx from pos_embed.W_pos)`);
      for (let i = 0; i < mask.bytes.length; i++) {
        const [q, k] = [Math.floor(i / cfg.n_ctx), i % cfg.n_ctx];
        if (mask.bytes[i] !== (k <= q ? 1 : 0)) throw new ArtifactError(`${source}: ${name} is ${mask.bytes[i]} at [${q}, ${k}]; expected the causal (lower-triangular) mask, the only attention sortscope computes`);
      }
    }
    const ignore = file.tensors.get(`blocks.${L}.attn.IGNORE`);
    if (ignore && ignore.shape.length !== 0) throw new ArtifactError(`${source}: blocks.${L}.attn.IGNORE has shape [${ignore.shape.join(', ')}]; expected a scalar []`);
  }
}

/** The first NaN or ±Infinity of a tensor, as an error naming it; a checkpoint never holds one. */
function checkFinite(values: Float32Array, t: StTensor, name: string, source: string): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) continue;
    const what = Number.isNaN(values[i]) ? 'NaN' : values[i] > 0 ? '+Infinity' : '-Infinity';
    const converted = t.dtype === 'F32' ? '' : ` (${t.dtype})`;
    throw new ArtifactError(`${source}: ${name} holds ${what}${converted} at index ${i} (${multiIndex(i, t.shape)}); expected finite values: a checkpoint is never NaN or infinite by design`);
  }
}

/** The largest float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Weights finite in float32 can still overflow the float32 forward pass: LayerNorm's variance sums
 * d_model squares of the residual stream r = W_E[t] + W_pos[p] (#29 W26: embeddings × 1e30 gave
 * the uniform loss, ln d_vocab, with exit 0). Σ_i (r_i − mean r)² is computed here in float64 for
 * every token and position; a value above the float32 maximum is refused with the place it occurs.
 */
function checkFloat32Headroom(params: Float32Array, cfg: ModelConfig, layout: Layout, source: string): void {
  if (!cfg.layer_norm) return;
  const we = layout.params.find((p) => p.name === 'embed.W_E')!;
  const wp = layout.params.find((p) => p.name === 'pos_embed.W_pos')!;
  const d = cfg.d_model;
  for (let t = 0; t < cfg.d_vocab; t++)
    for (let p = 0; p < cfg.n_ctx; p++) {
      let mean = 0;
      for (let i = 0; i < d; i++) mean += params[we.offset + t * d + i] + params[wp.offset + p * d + i];
      mean /= d;
      let ss = 0;
      for (let i = 0; i < d; i++) ss += (params[we.offset + t * d + i] + params[wp.offset + p * d + i] - mean) ** 2;
      if (ss > FLOAT32_MAX) {
        throw new ArtifactError(
          `${source}: the residual stream embed.W_E[${t}] + pos_embed.W_pos[${p}] has Σ(x − mean)² = ${ss.toExponential(2)}, beyond float32's ${FLOAT32_MAX.toExponential(2)}: LayerNorm would overflow and every prediction become uniform; expected weights a float32 forward pass can compute`,
        );
      }
    }
}

/** The flat parameter vector; conversions from F64, F16 and BF16 are described in `notes`. */
export function paramsFromStateDict(file: StFile, cfg: ModelConfig, source = 'weights', notes: string[] = []): Float32Array {
  const layout = paramLayout(cfg);
  checkTensorNames(file, cfg, layout, source);
  checkAttentionBuffers(file, cfg, source);
  const params = new Float32Array(layout.size);
  const converted = new Map<string, { count: number; maxRelativeChange: number }>();
  for (const p of layout.params) {
    const t = file.tensors.get(p.name)!;
    if (t.shape.join() !== p.shape.join()) {
      throw new ArtifactError(`${source}: ${p.name} has shape [${t.shape.join(', ')}]; expected [${p.shape.join(', ')}] to match the model the other tensors describe`);
    }
    const { values, maxRelativeChange } = toFloat32(t, p.name, source);
    checkFinite(values, t, p.name, source);
    params.set(values, p.offset);
    if (t.dtype !== 'F32') {
      const c = converted.get(t.dtype) ?? { count: 0, maxRelativeChange: 0 };
      converted.set(t.dtype, { count: c.count + 1, maxRelativeChange: Math.max(c.maxRelativeChange, maxRelativeChange) });
    }
  }
  for (const [dtype, c] of converted) {
    const tensors = `${c.count} ${dtype} tensor${c.count === 1 ? '' : 's'}`;
    notes.push(dtype === 'F64' ? `${source}: ${tensors} rounded to float32 (max relative change ${c.maxRelativeChange.toExponential(1)})` : `${source}: ${tensors} converted to float32 (exactly)`);
  }
  checkFloat32Headroom(params, cfg, layout, source);
  return params;
}

/** Read and validate a weights file; conversion notes go to stderr unless `quiet`. */
export function loadWeights(path: string, opts: { quiet?: boolean } = {}): LoadedWeights {
  const file = readSafetensors(path);
  const cfg = configFromStateDict(file, path);
  const notes: string[] = [];
  const params = paramsFromStateDict(file, cfg, path, notes);
  for (const note of notes) log(note, opts.quiet);
  return { cfg, layout: paramLayout(cfg), params, metadata: file.metadata, notes };
}

export function stateDict(params: Float32Array, cfg: ModelConfig, metadata: Record<string, string> = {}): StFile {
  const layout = paramLayout(cfg);
  const tensors = new Map<string, StTensor>();
  const mask = new Uint8Array(cfg.n_ctx * cfg.n_ctx);
  for (let q = 0; q < cfg.n_ctx; q++) for (let k = 0; k <= q; k++) mask[q * cfg.n_ctx + k] = 1;
  for (const p of layout.params) {
    tensors.set(p.name, f32Tensor(params.subarray(p.offset, p.offset + p.size), p.shape));
    const m = /^blocks\.(\d+)\.attn\.b_O$/.exec(p.name);
    if (m) {
      tensors.set(`blocks.${m[1]}.attn.mask`, { dtype: 'BOOL', shape: [cfg.n_ctx, cfg.n_ctx], bytes: mask.slice() });
      tensors.set(`blocks.${m[1]}.attn.IGNORE`, f32Tensor(Float32Array.of(IGNORE), []));
    }
  }
  return {
    tensors,
    metadata: { format: 'transformer_lens HookedTransformer state_dict', 'sortscope.model': JSON.stringify(cfg), ...metadata },
  };
}

export function saveWeights(path: string, params: Float32Array, cfg: ModelConfig, metadata: Record<string, string> = {}): void {
  writeSafetensors(path, stateDict(params, cfg, metadata));
}
