/**
 * The model config of a TransformerLens-format weights file, read from its tensor shapes (and
 * ln_eps from our `sortscope.model` metadata, else 1e-5), then validated: against the train
 * package's ModelShapeSchema, d_vocab and n_ctx against what a sorting dataset can have, and
 * against the metadata's own record of the config when there is one. Every failure is an
 * ArtifactError (exit 3) naming the file, the field and where the value came from.
 */
import { ArtifactError, ConfigError, parseSection } from '@sortscope/core';
import { z } from 'zod';
import { type ModelConfig, ModelShapeSchema } from './model-config.ts';
import type { StFile } from './safetensors.ts';

/** The inferred config's bounds: the model schema, plus the vocabulary and context a sorting dataset can have. */
const WeightsConfigSchema = ModelShapeSchema.extend({
  // tokens are uint8 numbers 0..max_number (<= 253) and SEP = max_number + 1 (see the dataset schema)
  d_vocab: z.int().min(2).max(255),
  // 2n + 1 positions for lists of n = 1..100 numbers
  n_ctx: z
    .int()
    .min(3)
    .max(201)
    .refine((n) => n % 2 === 1, { message: 'expected an odd number 2n + 1 (n numbers, SEP, n sorted numbers)' }),
});

function shapeOf(file: StFile, name: string, dims: string[], source: string): number[] {
  const t = file.tensors.get(name);
  if (!t) throw new ArtifactError(`${source} has no tensor '${name}': not an attention-only TransformerLens state_dict`);
  if (t.shape.length !== dims.length) throw new ArtifactError(`${source}: ${name} has shape [${t.shape.join(', ')}]; expected [${dims.join(', ')}]`);
  return t.shape;
}

/** The `sortscope.model` metadata (our exports' record of the config) as an object, or {} when absent. */
function storedConfig(file: StFile, source: string): Record<string, unknown> {
  const text = file.metadata['sortscope.model'];
  if (text === undefined) return {};
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch (err) {
    throw new ArtifactError(`${source}: __metadata__ sortscope.model is not JSON (${(err as Error).message}); expected the model config as a JSON object`);
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    throw new ArtifactError(`${source}: __metadata__ sortscope.model is ${JSON.stringify(stored)}; expected the model config as a JSON object`);
  }
  return stored as Record<string, unknown>;
}

/** Infer the model config from the state_dict's shapes and metadata, and validate it. */
export function configFromStateDict(file: StFile, source = 'weights'): ModelConfig {
  const [d_vocab, d_model] = shapeOf(file, 'embed.W_E', ['d_vocab', 'd_model'], source);
  const [n_ctx] = shapeOf(file, 'pos_embed.W_pos', ['n_ctx', 'd_model'], source);
  const [n_heads, , d_head] = shapeOf(file, 'blocks.0.attn.W_Q', ['n_heads', 'd_model', 'd_head'], source);
  let n_layers = 0;
  while (file.tensors.has(`blocks.${n_layers}.attn.W_Q`)) n_layers++;
  const stored = storedConfig(file, source);
  const inferred = { n_layers, n_heads, d_model, d_head, layer_norm: file.tensors.has('ln_final.w'), ln_eps: stored.ln_eps ?? 1e-5, d_vocab, n_ctx };

  const from: Record<string, string> = {
    n_layers: 'the number of blocks.L.attn.W_Q tensors',
    n_heads: `blocks.0.attn.W_Q [${file.tensors.get('blocks.0.attn.W_Q')!.shape.join(', ')}]`,
    d_head: `blocks.0.attn.W_Q [${file.tensors.get('blocks.0.attn.W_Q')!.shape.join(', ')}]`,
    d_model: `embed.W_E [${d_vocab}, ${d_model}]`,
    d_vocab: `embed.W_E [${d_vocab}, ${d_model}]`,
    n_ctx: `pos_embed.W_pos [${file.tensors.get('pos_embed.W_pos')!.shape.join(', ')}]`,
    layer_norm: 'whether ln_final.w is present',
    ln_eps: stored.ln_eps === undefined ? 'the default' : '__metadata__ sortscope.model',
  };
  for (const [key, value] of Object.entries(inferred)) {
    if (key === 'ln_eps' || !(key in stored) || stored[key] === value) continue;
    throw new ArtifactError(`${source}: __metadata__ sortscope.model says ${key} ${JSON.stringify(stored[key])}, but the tensors give ${JSON.stringify(value)} (from ${from[key]}); the file is inconsistent`);
  }

  let cfg: z.output<typeof WeightsConfigSchema>;
  try {
    cfg = parseSection(WeightsConfigSchema, inferred, { source });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // one line per problem, "  n_heads: got 0; expected a number >= 1", each told where its value came from
    const lines = err.message.split('\n').slice(1).map((line) => {
      const key = /^ {2}(\w+):/.exec(line)?.[1];
      return key && from[key] ? `${line} (${key} from ${from[key]})` : line;
    });
    throw new ArtifactError(`${source}: the model config read from its tensor shapes and metadata is invalid:\n${lines.join('\n')}`);
  }
  return { ...cfg, list_length: (cfg.n_ctx - 1) / 2 };
}
