import { describe, expect, it } from 'vitest';
import { ReportConfigSchema } from './schema.ts';

describe('ReportConfigSchema', () => {
  it('fills every default', () => {
    expect(ReportConfigSchema.parse({})).toEqual({
      title: 'sortscope report',
      convention: 'raw-normalised',
      max_heatmap_checkpoints: 60,
      max_heatmap_experiments: 10,
      significant_digits: 3,
      gif_frame_ms: 200,
      gif_hold_ms: 1500,
      png_scale: 2,
      figures: true,
      gifs: true,
      diagnoses: [],
      changepoints: { max_segments: 4, min_points: 3, penalty: 1 },
    });
  });

  it('refuses unknown keys and out-of-range values', () => {
    expect(ReportConfigSchema.safeParse({ titel: 'x' }).success).toBe(false);
    expect(ReportConfigSchema.safeParse({ changepoints: { max_segment: 3 } }).success).toBe(false);
    expect(ReportConfigSchema.safeParse({ convention: 'raw' }).success).toBe(false);
    expect(ReportConfigSchema.safeParse({ max_heatmap_checkpoints: 1 }).success).toBe(false);
    expect(ReportConfigSchema.safeParse({ changepoints: { min_points: 1 } }).success).toBe(false);
  });
});
