/**
 * The report page: one self-contained HTML file. Vega, Vega-Lite and vega-embed are inlined as
 * <script> elements, every chart's Vega-Lite spec (data included) is in one JSON <script>, and
 * the page's CSS and JS are inline too: it opens offline, from any folder, in any browser.
 * Links to the static figures (figures/…) are relative and only written when they exist.
 * Nothing in it depends on the time or the machine (deterministic for the same inputs).
 */
import type { Library } from './assets.ts';
import type { VlSpec } from './chart-common.ts';
import type { ChartEntry } from './charts.ts';
import { escapeHtml } from './format.ts';
import { packPageSpec } from './heatmap-pack.ts';
import type { ExperimentModel, StudyModel } from './model.ts';
import { PAGE_CSS, PAGE_JS } from './page-assets.ts';
import { summaryTableHtml } from './summary-table.ts';

export interface PageInput {
  study: StudyModel;
  studyCharts: ChartEntry[];
  experimentCharts: ChartEntry[][];
  libraries: Library[];
  /** links to figures/<folder>/<file>.{svg,png} and the GIFs, when they were written */
  figures: boolean;
  gifs: { [chartId: string]: { name: string; href: string }[] };
  frameMs: number;
}

/** Text safe inside <script>: no `</script` (or `<!--`) can end or confuse the element. */
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside <script type="application/json">: every '<' escaped. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The page's version of a chart spec: a single or layered view takes the width of its grid cell
 * (Vega-Lite `width: 'container'`, legend and axes included, and follows it when the window is
 * resized); concatenations (circuit symmetry, the heatmaps) keep their fixed size. The static
 * figures keep the fixed width of the spec builders.
 */
export function pageSpec(spec: VlSpec): VlSpec {
  const concat = ['hconcat', 'vconcat', 'concat', 'facet', 'repeat'].some((k) => k in spec);
  if (concat || typeof spec.width !== 'number') return spec;
  return { ...spec, width: 'container', autosize: { type: 'fit-x', contains: 'padding' } };
}

function figureHtml(c: ChartEntry, input: PageInput): string {
  const links: string[] = [];
  if (input.figures && c.spec) links.push(...['svg', 'png'].map((ext) => `<a href="figures/${encodeURI(c.folder)}/${c.file}.${ext}">${ext.toUpperCase()}</a>`));
  for (const g of input.gifs[c.id] ?? []) links.push(`<a href="${encodeURI(g.href)}">${escapeHtml(g.name)}</a>`);
  const caption = `<figcaption>${escapeHtml(c.caption)}${links.length ? ` ${links.join(' ')}` : ''}</figcaption>`;
  if (!c.spec) return `<figure class="unavailable" data-chart="${escapeHtml(c.id)}"><h3>${escapeHtml(c.title)}</h3><div class="notice">${escapeHtml(c.missing ?? 'unavailable')}</div></figure>`;
  const controls = c.frames
    ? `<div class="controls"><button type="button" data-player="${escapeHtml(c.id)}" data-steps="${escapeHtml(JSON.stringify(c.frames))}" data-delay="${input.frameMs}" aria-pressed="false" disabled>&#9654; Play</button><div class="bindings" id="${escapeHtml(c.id)}--bindings"></div><span class="step" id="${escapeHtml(c.id)}--step">checkpoint ${c.frames.length} of ${c.frames.length}, step ${c.frames.at(-1)}</span></div>`
    : '';
  return `<figure class="${c.frames ? 'wide' : ''}" data-chart="${escapeHtml(c.id)}">${controls}<div class="chart" id="${escapeHtml(c.id)}"></div>${caption}</figure>`;
}

function experimentHtml(e: ExperimentModel, charts: ChartEntry[], input: PageInput): string {
  const facts = [...e.facts, ...Object.entries(e.sources).map(([stage, src]) => ({ label: `${stage} artifacts`, value: `artifacts/${src}` }))];
  const notices = e.missing.map((m) => `<div class="notice"><strong>${escapeHtml(m.stage)} missing:</strong> ${escapeHtml(m.reason)}</div>`);
  const notes = [...e.notes, `Stages: ${e.stages_note}.`].map((n) => `<p class="note">${escapeHtml(n)}</p>`);
  return [
    `<section class="experiment" id="exp-${escapeHtml(e.slug)}">`,
    `<h2>${escapeHtml(e.name)}</h2>`,
    e.description ? `<p class="description">${escapeHtml(e.description)}</p>` : '',
    `<dl class="facts">${facts.map((f) => `<dt>${escapeHtml(f.label)}</dt><dd>${escapeHtml(f.value)}</dd>`).join('')}</dl>`,
    ...notices,
    ...notes,
    `<div class="charts">${charts.map((c) => figureHtml(c, input)).join('\n')}</div>`,
    '</section>',
  ].join('\n');
}

const METHOD_NOTES = [
  'Time axes: training step on a symlog scale, ln(1 + step): logarithmic, with step 0 (the initialisation) included.',
  'Stage boundaries (dashed vertical lines on every time axis of an experiment): a piecewise-linear least-squares fit of the LLC (target all) against ln(1 + step), the number of pieces chosen by BIC; a boundary lies between two estimated checkpoints and is drawn halfway between them. Only estimates that can be read are fitted: no flagged chain, λ̂ > 0, chains that agree (the std of λ_c over chains at most 20% of λ̂) and had relaxed (mixing m ≥ 1.15) (the note of each experiment and its LLC chart say how many were left out).',
  'Heatmaps: diverging red (positive) / blue (negative) scale centred at 0, symmetric around the largest |value| of that head and circuit over all of training, so colours compare across checkpoints; checkpoints subsampled evenly in checkpoint index, first and last kept; values rounded to the significant digits in the page, then stored as 16-bit codes of the panel\'s largest |value| (an error below 1/65,534 of it; the hover and the Data links show them to 4 significant digits).',
  'LLC: SGLD estimates as the llc stage wrote them (mean ± std over chains). A chain is flagged when its loss trace is not flat, it left the basin, its LLC is negative, its acceptance is below 0.5, or it hit a NaN; an estimate is flagged on all its chains when they did not converge (λ̂ still moving at max_draws) or when the estimate is not taken at a minimum of the sampled potential (the relaxation from the checkpoint did not converge; or, untilted and unrelaxed, the Newton decrement exceeds 10% of λ̂). Acceptance above 0.999 is shown, not flagged (a small step). An estimate whose chains all pass yet spread widely (std of λ_c over chains above 20% of λ̂, seen where the loss is flat around the checkpoint) is not read either: λ̂ would depend on which chains were drawn. Nor is one whose chains were too short to have relaxed: mixing m = S·εγ/2 at the first draw read below ln 10 / 2 ≈ 1.15, where more than 10% of the equilibrium λ̂ could still be missing (docs/llc.md, "Mixing"). λ̂ counts the directions whose curvature exceeds about γ/nβ, so absolute values depend on γ and nβ and are comparable only between runs with the same settings (docs/llc.md).',
];

export function reportHtml(input: PageInput): string {
  const { study } = input;
  const specs: Record<string, unknown> = {};
  for (const c of [...input.studyCharts, ...input.experimentCharts.flat()]) if (c.spec) specs[c.id] = packPageSpec(pageSpec(c.spec));
  const nav = [
    '<li class="label">Contents:</li>',
    `<li><a href="#study">Summary</a></li>`,
    ...study.experiments.map((e) => `<li><a href="#exp-${escapeHtml(e.slug)}">${escapeHtml(e.name)}</a></li>`),
    '<li><a href="#how-to-read">How to read this report</a></li>',
  ];
  const overlays = input.studyCharts.length ? `<div class="charts">${input.studyCharts.map((c) => figureHtml(c, input)).join('\n')}</div>` : '';
  const versions = input.libraries.map((l) => `${l.name} ${l.version}`).join(', ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(study.title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    ...input.libraries.map((l) => `<script data-library="${l.name}@${l.version}">${scriptSafe(l.code)}</script>`),
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(study.title)}</h1>`,
    `<p class="lead">${study.experiments.length} experiment${study.experiments.length === 1 ? '' : 's'}: training, the local learning coefficient (LLC) and the circuits of each head over training. Circuits shown in the ${escapeHtml(study.convention)} convention. This page is self-contained (works offline); hover a chart for values, use the … menu of a chart to save it.</p>`,
    '</header>',
    `<nav class="contents" aria-label="Contents"><ul>${nav.join('')}</ul></nav>`,
    '<main>',
    '<section id="study">',
    '<h2>Summary</h2>',
    summaryTableHtml(study.summary),
    overlays,
    '</section>',
    ...study.experiments.map((e, i) => experimentHtml(e, input.experimentCharts[i], input)),
    '</main>',
    '<footer id="how-to-read">',
    '<h3>How to read this report</h3>',
    `<ul>${METHOD_NOTES.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`,
    `<p>Made by sortscope report with ${escapeHtml(versions)}.</p>`,
    '</footer>',
    `<script type="application/json" id="report-specs">${jsonForScript(specs)}</script>`,
    `<script>${scriptSafe(PAGE_JS)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
