/**
 * The shape of a compact results file (docs/findings/<study>.json, data.ts's CompactStudy), checked
 * when one is read, so that a damaged, hand-edited or foreign file is refused with the field that is
 * wrong instead of failing inside a table with a TypeError. Numbers may be null: `--save` writes
 * JSON, where a NaN or infinite value (a spread over one chain, a loss that overflowed) becomes null.
 * Objects may carry fields this version does not know (a newer file is read as far as it is known).
 */
import { z } from 'zod';

const num = z.number().nullable();
const nums = z.array(num);

const LlcPointSchema = z.looseObject({ mean: num, std: num, se: num, flagged: z.number(), n_ok: z.number(), init_loss: num, mixing: num.optional(), height: num.optional() });

const CheckpointRowSchema = z.looseObject({
  step: z.number(),
  val_loss: num,
  val_token_acc: num,
  overlap: num,
  co_copied: num,
  regions: nums,
  n_copied: nums,
  split_agreement: num,
  llc: z.record(z.string(), LlcPointSchema),
  norms: z.record(z.string(), num),
  symmetry: z.record(z.string(), z.looseObject({ t_norm: num, ev: num })).optional(),
});

const HeadFactsSchema = z.looseObject({ head: z.string() });

const FactsSchema = z.looseObject({
  experiment: z.string(),
  final_step: z.number(),
  llc_flags: z.record(z.string(), z.number()),
  heads: z.array(HeadFactsSchema),
});

const OutputStatsSchema = z.looseObject({ entropy: num, confidence: num, p_target: num, loss: num });
const CalibrationPointSchema = z.looseObject({ loss: num, accuracy: num, ece: num, overconfidence: num, confidence_wrong: num, entropy: num });

const BehaviourSchema = z.looseObject({
  ed: z.looseObject({ steps: nums, scores: z.array(nums), explained: nums, turning: z.array(nums) }),
  confidence: z.looseObject({ step: z.number(), clean: OutputStatsSchema, heads: z.array(OutputStatsSchema) }),
  calibration: z
    .looseObject({
      rows: z.number(),
      steps: nums,
      clean: z.array(CalibrationPointSchema),
      suppression_removed: z.array(z.looseObject({ head: z.number(), sources: z.string(), points: z.array(CalibrationPointSchema) })),
    })
    .nullable()
    .optional(),
});

const CompactExperimentSchema = z.looseObject({
  format: z.number().optional(),
  experiment: z.string(),
  cell: z.string(),
  seed: z.number().nullable(),
  facts: FactsSchema,
  curve: z.array(CheckpointRowSchema),
  behaviour: BehaviourSchema.nullable(),
  stages: z.array(z.string()).optional(),
  keys: z.record(z.string(), z.string()).optional(),
  versions: z.record(z.string(), z.string()).optional(),
  stale: z.array(z.string()).optional(),
});

export const CompactStudySchema = z.looseObject({
  study: z.string(),
  note: z.string(),
  experiments: z.array(CompactExperimentSchema),
});

/** `experiments[3].curve[2].llc.all.mean`: a zod issue's path as a reader writes it. */
function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(the top level)';
}

/** The problems of `data` as a compact results file, one line each (at most `max`); empty when it is one. */
export function compactProblems(data: unknown, max = 5): string[] {
  const r = CompactStudySchema.safeParse(data);
  if (r.success) return [];
  const lines = r.error.issues.slice(0, max).map((i) => `${pathOf(i.path)}: ${i.message}`);
  if (r.error.issues.length > max) lines.push(`… and ${r.error.issues.length - max} more`);
  return lines;
}
