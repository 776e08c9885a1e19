/** Small formatting helpers shared by the model, the charts and the page. */

/** `v` rounded to `digits` significant digits (a number; non-finite values unchanged). */
export function sig(v: number, digits: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  return Number(v.toPrecision(digits));
}

/** A number for a table cell: `digits` significant digits, '–' when missing or not finite. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(digits - 1);
  return String(sig(v, digits));
}

/** A fraction as a percentage with 2 decimals ('99.88%'). */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(2)}%`;
}

/** TransformerLens-style head label: L<layer>H<head>. */
export function headName(layer: number, head: number): string {
  return `L${layer}H${head}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A name usable as a folder and an HTML id: letters, digits, '.', '_' and '-' only. */
export function slug(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return s === '' || s === '.' || s === '..' ? 'experiment' : s;
}

/** The last finite value of a series, with its index (null when there is none). */
export function lastFinite(values: readonly number[]): { value: number; index: number } | null {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i])) return { value: values[i], index: i };
  return null;
}
