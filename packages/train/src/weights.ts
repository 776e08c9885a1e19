/**
 * TransformerLens-format weights as safetensors: import any attention-only HookedTransformer
 * state_dict with our layout's names (shapes decide the model config), export ours with the same
 * names and shapes plus the attention buffers TransformerLens keeps in its state_dict
 * (`blocks.L.attn.mask`, a lower-triangular BOOL [n_ctx, n_ctx], and `blocks.L.attn.IGNORE` = −1e5),
 * so `model.load_state_dict(safetensors.torch.load_file(path))` loads it strictly.
 */
import { ArtifactError, ShapeError } from '@sortscope/core';
import { type Layout, paramLayout } from './layout.ts';
import type { ModelConfig } from './model-config.ts';
import { f32, f32Tensor, readSafetensors, type StFile, type StTensor, writeSafetensors } from './safetensors.ts';
import { IGNORE } from './tfjs/forward.ts';

export interface LoadedWeights {
  cfg: ModelConfig;
  layout: Layout;
  params: Float32Array;
  metadata: Record<string, string>;
}

function shapeOf(file: StFile, name: string, source: string): number[] {
  const t = file.tensors.get(name);
  if (!t) throw new ArtifactError(`${source} has no tensor '${name}': not an attention-only TransformerLens state_dict`);
  return t.shape;
}

/** Infer the model config from the state_dict's shapes (and ln_eps from our metadata, else 1e-5). */
export function configFromStateDict(file: StFile, source = 'weights'): ModelConfig {
  const [d_vocab, d_model] = shapeOf(file, 'embed.W_E', source);
  const [n_ctx] = shapeOf(file, 'pos_embed.W_pos', source);
  const [n_heads, , d_head] = shapeOf(file, 'blocks.0.attn.W_Q', source);
  let n_layers = 0;
  while (file.tensors.has(`blocks.${n_layers}.attn.W_Q`)) n_layers++;
  if ((n_ctx - 1) % 2 !== 0) throw new ShapeError(`${source}: W_pos has ${n_ctx} rows; a sorting model has 2n + 1`);
  const stored = file.metadata['sortscope.model'] ? (JSON.parse(file.metadata['sortscope.model']) as Partial<ModelConfig>) : {};
  return {
    n_layers,
    n_heads,
    d_model,
    d_head,
    layer_norm: file.tensors.has('ln_final.w'),
    ln_eps: stored.ln_eps ?? 1e-5,
    d_vocab,
    n_ctx,
    list_length: (n_ctx - 1) / 2,
  };
}

export function paramsFromStateDict(file: StFile, cfg: ModelConfig, source = 'weights'): Float32Array {
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.size);
  for (const p of layout.params) {
    const t = file.tensors.get(p.name);
    if (!t) throw new ArtifactError(`${source} has no tensor '${p.name}'`);
    if (t.shape.join() !== p.shape.join()) throw new ShapeError(`${source}: ${p.name} has shape [${t.shape}], expected [${p.shape}]`);
    params.set(f32(t, p.name), p.offset);
  }
  return params;
}

export function loadWeights(path: string): LoadedWeights {
  const file = readSafetensors(path);
  const cfg = configFromStateDict(file, path);
  return { cfg, layout: paramLayout(cfg), params: paramsFromStateDict(file, cfg, path), metadata: file.metadata };
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
