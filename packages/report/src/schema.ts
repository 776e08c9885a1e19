/**
 * The report's options (study-level, not per experiment): the single source of truth for their
 * defaults, flags and messages. The report reads every experiment's artifacts as they are; these
 * options only decide what is shown and how (title, the circuit convention of the heatmaps and
 * measures, how many checkpoints the heatmaps keep, the GIF timing, the changepoint search).
 */
import { CONVENTIONS } from '@sortscope/circuits/schema';
import { z } from 'zod';

export const ReportConfigSchema = z
  .object({
    title: z.string().min(1).default('sortscope report').describe('title of the report page'),
    convention: z.enum(CONVENTIONS).default('raw-normalised').describe('circuit convention of the QK/OV heatmaps and the symmetry measures shown'),
    max_heatmap_checkpoints: z.int().min(2).max(500).default(60).describe('checkpoints kept per heatmap (evenly spaced in checkpoint index; first and last always kept)'),
    max_heatmap_experiments: z.int().min(0).default(10).describe('experiments (the first ones) that get the heatmaps and GIFs: each adds ~1.3 MB to the page (a 2-head model, 60 checkpoints)'),
    significant_digits: z.int().min(2).max(8).default(3).describe('significant digits of the heatmap values stored in the page'),
    gif_frame_ms: z.int().min(20).max(10_000).default(200).describe('GIF frame delay in milliseconds'),
    gif_hold_ms: z.int().min(0).max(60_000).default(1500).describe('extra delay on the last GIF frame before it loops'),
    png_scale: z.number().min(0.5).max(4).default(2).describe('pixels per SVG unit of the PNG figures'),
    figures: z.boolean().default(true).describe('write every chart as SVG and PNG under figures/'),
    gifs: z.boolean().default(true).describe("write an animated GIF of each head's QK and OV circuits over training"),
    diagnoses: z
      .array(z.union([z.string().min(1), z.object({ file: z.string().min(1), label: z.string().min(1).optional() }).strict()]))
      .default([])
      .describe('JSON files of `llc diagnose --sweep --out FILE` (paths from the repository root, optionally with a label) whose λ̂ against γ, ε, nβ and chain length the report draws'),
    changepoints: z
      .object({
        max_segments: z.int().min(1).max(10).default(4).describe('most linear pieces fitted to LLC vs log(1 + step)'),
        min_points: z.int().min(2).default(3).describe('fewest LLC estimates in a piece'),
        penalty: z.number().min(0).default(1).describe('multiplier of the BIC penalty per extra piece (larger: fewer stages)'),
      })
      .strict()
      .prefault({})
      .describe('stage boundaries: where the LLC trend changes (changepoints.ts)'),
  })
  .strict();

export type ReportConfig = z.output<typeof ReportConfigSchema>;
export type ReportConfigInput = z.input<typeof ReportConfigSchema>;
