/**
 * Stable colours per experiment: an experiment keeps its colour when others are added to or
 * removed from the study. Each name hashes (FNV-1a, 32 bit) to a home slot among the 10 strong
 * colours of category10; when two names of one chart share a slot, the one later in name order
 * takes the next free strong colour, and once all 10 are taken the light variants (slots 10–19).
 * So up to 20 names get distinct colours, up to 10 well-separated ones, and a name's colour
 * changes only when a new name takes its slot and sorts before it. Beyond 20 names colours repeat
 * (the run filter and the legend toggle pick runs out).
 */

/** d3's category10 (slots 0–9: saturated, well separated), then the light variant of each from category20 (10–19). */
export const PALETTE: readonly string[] = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5',
];
const STRONG = 10;

/** FNV-1a hash of a string's UTF-16 code units (32-bit unsigned). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The home slot of a name (one of the strong colours). */
export const homeSlot = (name: string): number => fnv1a(name) % STRONG;

/** A colour for each distinct name (in the order given), stable as described above. */
export function stableColours(names: readonly string[]): string[] {
  const distinct = [...new Set(names)];
  const slot = new Map<string, number>();
  const taken = new Set<number>();
  for (const name of [...distinct].sort()) {
    // the next free strong colour from the home slot, then the next free light one, else the home slot
    const home = homeSlot(name);
    const order = [...Array.from({ length: STRONG }, (_, k) => (home + k) % STRONG), ...Array.from({ length: PALETTE.length - STRONG }, (_, k) => STRONG + ((home + k) % (PALETTE.length - STRONG)))];
    const s = order.find((x) => !taken.has(x)) ?? home;
    taken.add(s);
    slot.set(name, s);
  }
  return names.map((n) => PALETTE[slot.get(n)!]);
}

/** A Vega-Lite colour scale that gives each name its stable colour, in the given (legend) order. */
export function stableColourScale(names: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(names)];
  return { domain, range: stableColours(domain) };
}
