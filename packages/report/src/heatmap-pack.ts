/**
 * The heatmap's values, packed for the page. The "circuits developing" chart holds every head's QK
 * and OV matrix at up to 60 checkpoints: d_vocab² numbers per matrix, ≈ 650,000 per 2-head
 * experiment, ≈ 3–4 MB as JSON text. In the page they travel as 16-bit codes, base64:
 *
 *   code = round(v / max_abs_m · 32767) ∈ [−32767, 32767]      v ≈ code · max_abs_m / 32767
 *   code = −32768  ⇔  v is null (not finite)
 *
 * where max_abs_m is panel m's colour domain (`HeatmapPanel.max_abs`, every |v| ≤ it), so the
 * packing error is at most max_abs_m / 65534: far below one colour step of the scale, and below
 * the 3-significant-digit rounding of the rows for every value above max_abs_m / 65. The page
 * script (page-assets.ts, `unpackHeatmap`) rebuilds the same rows, values to 4 significant digits,
 * before the chart is drawn or its data downloaded.
 *
 * The rows of `heatmapData` come in blocks of d_vocab rows (r = 0 … d_vocab − 1) per panel m and
 * frame i; a block is stored as its [m, i] and d_vocab² codes (little-endian int16).
 */
import type { VlSpec } from './chart-common.ts';
import type { HeatmapData } from './heatmap-data.ts';

export const NULL_CODE = -32768;
const FULL = 32767;

export interface PackedHeatmap {
  d_vocab: number;
  /** colour domain max |value| of each panel, by panel index m */
  max_abs: Record<number, number>;
  /** [m, i] of each block of d_vocab rows, in order */
  blocks: [number, number][];
  /** base64 of blocks × d_vocab × d_vocab little-endian int16 codes */
  codes: string;
}

/** The usermeta key of a spec whose `data.values` are heatmap rows (heatmap.ts sets it). */
export const HEATMAP_META = 'sortscope_heatmap';

export function packHeatmapRows(rows: HeatmapData['rows'], dVocab: number, maxAbs: Record<number, number>): PackedHeatmap {
  if (rows.length % dVocab !== 0) throw new Error(`heatmap rows: ${rows.length} is not a multiple of d_vocab ${dVocab}`);
  const codes = new Int16Array(rows.length * dVocab);
  const blocks: [number, number][] = [];
  rows.forEach((row, k) => {
    const r = k % dVocab;
    if (r === 0) blocks.push([row.m, row.i]);
    const [m, i] = blocks[blocks.length - 1];
    if (row.r !== r || row.m !== m || row.i !== i) throw new Error(`heatmap row ${k}: expected m ${m}, frame ${i}, row ${r}, got m ${row.m}, frame ${row.i}, row ${row.r}`);
    if (row.v.length !== dVocab) throw new Error(`heatmap row ${k}: ${row.v.length} values, expected d_vocab ${dVocab}`);
    const scale = maxAbs[m];
    if (!(scale > 0)) throw new Error(`heatmap panel ${m}: max_abs ${scale} is not a positive number`);
    row.v.forEach((v, c) => {
      codes[k * dVocab + c] = v === null || !Number.isFinite(v) ? NULL_CODE : Math.max(-FULL, Math.min(FULL, Math.round((v / scale) * FULL)));
    });
  });
  const bytes = new Uint8Array(codes.length * 2);
  const view = new DataView(bytes.buffer);
  codes.forEach((q, k) => view.setInt16(2 * k, q, true));
  return { d_vocab: dVocab, max_abs: maxAbs, blocks, codes: Buffer.from(bytes).toString('base64') };
}

/** The inverse, as the page script does it (kept here for the tests; values to 4 significant digits). */
export function unpackHeatmapRows(p: PackedHeatmap): HeatmapData['rows'] {
  const bytes = Buffer.from(p.codes, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const d = p.d_vocab;
  const rows: HeatmapData['rows'] = [];
  let o = 0;
  for (const [m, i] of p.blocks) {
    const step = p.max_abs[m] / FULL;
    for (let r = 0; r < d; r++) {
      const v: (number | null)[] = [];
      for (let c = 0; c < d; c++, o++) {
        const q = view.getInt16(2 * o, true);
        v.push(q === NULL_CODE ? null : Number((q * step).toPrecision(4)));
      }
      rows.push({ m, i, r, v });
    }
  }
  return rows;
}

/**
 * A page spec with its heatmap rows packed: `data.values` emptied and the packed rows under
 * `usermeta.sortscope_heatmap.packed`. Any other spec is returned as it is.
 */
export function packPageSpec(spec: VlSpec): VlSpec {
  const usermeta = spec.usermeta as Record<string, unknown> | undefined;
  const meta = usermeta?.[HEATMAP_META] as { d_vocab: number; max_abs: Record<number, number> } | undefined;
  const values = (spec.data as { values?: unknown } | undefined)?.values;
  if (!meta || !Array.isArray(values) || values.length === 0) return spec;
  const packed = packHeatmapRows(values as HeatmapData['rows'], meta.d_vocab, meta.max_abs);
  return { ...spec, data: { values: [] }, usermeta: { ...usermeta, [HEATMAP_META]: { ...meta, packed } } };
}
