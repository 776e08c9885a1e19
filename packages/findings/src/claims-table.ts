/**
 * The whole claims table (`sortscope findings --claims`): the LLC claims' rows (verdicts.ts), the
 * other rows (claim-rows.ts, noise-rows.ts, symmetry.ts) and the structural measure's per-seed
 * table below it; and the block of a Markdown file that holds a copy of it (`--into FILE`), so
 * that docs/findings.md shows exactly what the committed results print.
 */
import { ConfigError } from '@sortscope/core/errors';
import { row1f, row3b, row4, row5, row6a, row7 } from './claim-rows.ts';
import { groupCounts } from './compact-file.ts';
import type { CompactExperiment } from './data.ts';
import { row6aLearning, row6b, row6c, row6d, row6e } from './noise-rows.ts';
import { row8, symmetryMarkdown, symmetryVsLlc } from './symmetry.ts';
import { claimResults, claimsMarkdown, LLC_CLAIMS, matchedLossMarkdown } from './verdicts.ts';

/**
 * Which llc version the table's LLC numbers come from, per group (the experiment name's first part):
 * while a new llc version recomputes the study, entries kept from the earlier one are marked `stale`
 * (compact-file.ts mergeCompact). Empty when no entry is stale.
 */
export function llcVersionsLine(ex: readonly CompactExperiment[]): string {
  const stale = ex.filter((e) => e.stale?.length);
  if (!stale.length) return '';
  const groups = (list: readonly CompactExperiment[]) => groupCounts(list.map((e) => e.experiment));
  const heldLlc = stale.filter((e) => e.stale!.includes('llc'));
  const byVersion = new Map<string, CompactExperiment[]>();
  for (const e of heldLlc) byVersion.set(e.versions?.llc ?? 'earlier', [...(byVersion.get(e.versions?.llc ?? 'earlier') ?? []), e]);
  const current = ex.filter((e) => e.stages?.includes('llc') && !e.stale?.length);
  const versions = [...new Set(current.map((e) => e.versions?.llc).filter((v) => v !== undefined))];
  const held = heldLlc.length ? `; ${heldLlc.length} of them hold LLC numbers, from ${[...byVersion].map(([v, l]) => `${v === 'earlier' ? 'an earlier llc version' : `llc ${v}`} (${groups(l)})`).join(' and ')}` : '';
  return `**LLC versions.** ${stale.length} of ${ex.length} experiments are held from earlier stage versions or settings, kept until the study recomputes them${held}. ${current.length} hold today's LLC numbers${versions.length ? ` (llc ${versions.join(', ')})` : ''}${current.length ? ` (${groups(current)})` : ''}. A comparison uses numbers of one vintage only.\n\n`;
}

export function claimsTable(ex: readonly CompactExperiment[]): string {
  const rows = [llcVersionsLine(ex), claimsMarkdown(claimResults(ex, LLC_CLAIMS)), row1f(ex), matchedLossMarkdown(ex), row3b(ex), row4(ex), row5(ex), row6aLearning(ex), row6a(ex), row6b(ex), row6c(ex), row6d(ex), row6e(ex), row7(ex), row8(ex)];
  return `${rows.join('')}\n${symmetryMarkdown(symmetryVsLlc(ex, 'baseline/gamma10000'))}`;
}

export const CLAIMS_BLOCK = 'sortscope findings --study claims --claims';
const markers = (name: string) => [`<!-- ${name}: begin -->\n`, `<!-- ${name}: end -->`] as const;

/** Where block NAME's text starts and ends in `md` (after its begin line, at its end line), or null when there is none. */
function span(md: string, name: string): [number, number] | null {
  const [begin, end] = markers(name);
  const i = md.indexOf(begin);
  const j = i < 0 ? -1 : md.indexOf(end, i + begin.length);
  return j < 0 ? null : [i + begin.length, j];
}

/** The text between `<!-- NAME: begin -->` and `<!-- NAME: end -->`, or null when the file has no such block. */
export function blockOf(md: string, name: string): string | null {
  const at = span(md, name);
  return at && md.slice(...at);
}

/** `md` with its block NAME's text replaced by `content`; a ConfigError naming `file` when there is no block. */
export function replaceBlock(md: string, name: string, content: string, file: string): string {
  const at = span(md, name);
  if (!at) {
    const [begin, end] = markers(name);
    throw new ConfigError(`${file}: no block to write the table into; expected a line "${begin.trim()}" followed later by a line "${end}"`);
  }
  return md.slice(0, at[0]) + content + md.slice(at[1]);
}
