/** The study's summary table as HTML (one row per experiment; summary.ts defines the values). */
import { escapeHtml, fmt, pct } from './format.ts';
import type { HeadSummary, SummaryRow } from './summary.ts';

/** 'L0H0 0.19 / 0.16<br>L0H1 …' — one line per head. */
function perHead(r: SummaryRow, f: (h: HeadSummary) => string): string {
  const heads = Object.entries(r.heads);
  return heads.length ? heads.map(([name, h]) => `${escapeHtml(name)} ${f(h)}`).join('<br>') : '–';
}

function llcCell(r: SummaryRow): string {
  if (!r.llc) return '–';
  const flagged = r.llc.flagged_chains ? `<br><small>${r.llc.flagged_chains} of ${r.llc.chains} chains flagged</small>` : '';
  return `${fmt(r.llc.mean, 4)} ± ${fmt(r.llc.std, 2)}<br><small>step ${r.llc.step}</small>${flagged}`;
}

function stagesCell(r: SummaryRow): string {
  if (!r.stage_boundaries) return '–';
  if (r.stage_boundaries.length === 0) return 'none';
  return r.stage_boundaries.map((b) => `${b.step_before}–${b.step_after}`).join('<br>');
}

export function summaryTableHtml(rows: SummaryRow[]): string {
  const head = [
    'experiment',
    'noise',
    'clean token acc.',
    'clean seq. acc.',
    'final train loss',
    'Bayes floor',
    'train − floor',
    'final LLC ± std',
    'stage boundaries (steps)',
    'regions (tokens copied)',
    'T_norm QK / OV',
    'EV z QK / OV',
    'ablation Δloss',
    'missing',
  ];
  const body = rows.map((r) =>
    [
      `<td class="name">${escapeHtml(r.experiment)}</td>`,
      `<td class="text wrap">${escapeHtml(r.noise ?? '–')}</td>`,
      `<td title="${escapeHtml(r.clean_accuracy_source ?? '')}">${pct(r.clean_token_accuracy)}</td>`,
      `<td>${pct(r.clean_sequence_accuracy)}</td>`,
      `<td>${fmt(r.train_loss, 4)}</td>`,
      `<td>${fmt(r.bayes_loss, 4)}</td>`,
      `<td>${fmt(r.train_loss_above_bayes, 3)}</td>`,
      `<td>${llcCell(r)}</td>`,
      `<td>${stagesCell(r)}</td>`,
      `<td class="text">${perHead(r, (h) => `${h.regions} (${h.n_copied})`)}</td>`,
      `<td class="text">${perHead(r, (h) => `${fmt(h.qk_t_norm, 2)} / ${fmt(h.ov_t_norm, 2)}`)}</td>`,
      `<td class="text">${perHead(r, (h) => `${fmt(h.qk_ev_z, 3)} / ${fmt(h.ov_ev_z, 3)}`)}</td>`,
      `<td class="text">${perHead(r, (h) => fmt(h.ablation_loss_increase, 3))}</td>`,
      `<td class="text wrap">${r.missing.length ? escapeHtml(r.missing.join(', ')) : 'none'}</td>`,
    ].join(''),
  );
  return [
    '<div class="summary-wrap"><table class="summary">',
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${body.map((b) => `<tr>${b}</tr>`).join('\n')}</tbody>`,
    '</table></div>',
  ].join('\n');
}
