/**
 * The flat parameter vector. All parameters live in one Float32Array; the optimizer, SGLD and
 * the artifacts all work on that vector, and this layout names its slices with
 * TransformerLens' state_dict keys and shapes (weights stored for right multiplication):
 *
 *   embed.W_E               [d_vocab, d_model]
 *   pos_embed.W_pos         [n_ctx, d_model]
 *   for each layer L:
 *     blocks.L.ln1.w, .b    [d_model]                    (only with layer_norm)
 *     blocks.L.attn.W_Q     [n_heads, d_model, d_head]   (W_K, W_V alike)
 *     blocks.L.attn.W_O     [n_heads, d_head, d_model]
 *     blocks.L.attn.b_Q     [n_heads, d_head]            (b_K, b_V alike)
 *     blocks.L.attn.b_O     [d_model]
 *   ln_final.w, .b          [d_model]                    (only with layer_norm)
 *   unembed.W_U             [d_model, d_vocab]
 *   unembed.b_U             [d_vocab]
 *
 * in this order, contiguous, row-major. The baseline model has 49,684 parameters.
 */
import { ShapeError } from '@sortscope/core';
import type { ModelConfig } from './model-config.ts';

export interface ParamSpec {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface Layout {
  params: ParamSpec[];
  size: number;
}

export function paramLayout(cfg: ModelConfig): Layout {
  const { d_vocab, d_model, n_ctx, n_heads, d_head } = cfg;
  const entries: [string, number[]][] = [
    ['embed.W_E', [d_vocab, d_model]],
    ['pos_embed.W_pos', [n_ctx, d_model]],
  ];
  for (let L = 0; L < cfg.n_layers; L++) {
    if (cfg.layer_norm) entries.push([`blocks.${L}.ln1.w`, [d_model]], [`blocks.${L}.ln1.b`, [d_model]]);
    entries.push(
      [`blocks.${L}.attn.W_Q`, [n_heads, d_model, d_head]],
      [`blocks.${L}.attn.W_K`, [n_heads, d_model, d_head]],
      [`blocks.${L}.attn.W_V`, [n_heads, d_model, d_head]],
      [`blocks.${L}.attn.W_O`, [n_heads, d_head, d_model]],
      [`blocks.${L}.attn.b_Q`, [n_heads, d_head]],
      [`blocks.${L}.attn.b_K`, [n_heads, d_head]],
      [`blocks.${L}.attn.b_V`, [n_heads, d_head]],
      [`blocks.${L}.attn.b_O`, [d_model]],
    );
  }
  if (cfg.layer_norm) entries.push(['ln_final.w', [d_model]], ['ln_final.b', [d_model]]);
  entries.push(['unembed.W_U', [d_model, d_vocab]], ['unembed.b_U', [d_vocab]]);
  let offset = 0;
  const params = entries.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const spec = { name, shape, offset, size };
    offset += size;
    return spec;
  });
  return { params, size: offset };
}

export function spec(layout: Layout, name: string): ParamSpec {
  const s = layout.params.find((p) => p.name === name);
  if (!s) throw new ShapeError(`the model has no parameter '${name}' (has: ${layout.params.map((p) => p.name).join(', ')})`);
  return s;
}

/** A view (no copy) of one named parameter inside the flat vector. */
export function view(params: Float32Array, layout: Layout, name: string): Float32Array {
  const s = spec(layout, name);
  return params.subarray(s.offset, s.offset + s.size);
}

export function assertParamVector(params: Float32Array, layout: Layout, what = 'params'): void {
  if (params.length !== layout.size) throw new ShapeError(`${what} has ${params.length} values; the model's layout needs ${layout.size}`);
}

/** Indices of the flat vector covered by the named parameters (for weight-restricted SGLD). */
export function indicesOf(layout: Layout, names: string[]): Uint32Array {
  const specs = names.map((n) => spec(layout, n));
  const out = new Uint32Array(specs.reduce((a, s) => a + s.size, 0));
  let i = 0;
  for (const s of specs) for (let j = 0; j < s.size; j++) out[i++] = s.offset + j;
  return out;
}
