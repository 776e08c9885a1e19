/**
 * The report in a real browser: Debian's Chromium driven by playwright-core (which never downloads
 * a browser here). Builds the report of the tiny study plus an experiment whose circuits and LLC
 * are missing, opens index.html from disk with every network request refused, and checks that
 * the page loads without console errors, that every chart draws a non-empty SVG, that moving the
 * checkpoint slider changes the heatmap and its label ("checkpoint N of M, step S", N from 1), that
 * Play animates it, and the layout at 1,400 and 1,920 px (charts side by side, nothing wider than
 * the window, the contents bar sticky, the summary table without scrolling, no legend cut off),
 * and the interactions: only readable LLC estimates as data, zoom and pan, legend toggling, the
 * run filter, the SGLD-trace checkpoint selector and the CSV/JSON downloads. The study has four
 * full experiments (two under a second name) and the partial one. Saves a screenshot to test-results/report.png (repository
 * root) and report-1400.png, report-1920.png to the test's output folder.
 *
 * Chromium: $SORTSCOPE_CHROMIUM, else /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pngInfo } from './image-info.ts';
import { runReport } from './stage.ts';

export const CHROMIUM = process.env.SORTSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = resolve(import.meta.dirname, '../../../test-results/report.png');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const blocked: string[] = [];
let specIds: string[] = [];
let outDir = '';
let html = '';

/** A page showing the report at this viewport width, every chart drawn; network requests refused. */
async function openReport(width: number): Promise<Page> {
  const p = await browser.newPage({ viewport: { width, height: 1000 } });
  p.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  p.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  await p.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  await p.goto(pathToFileURL(html).href);
  await p.waitForSelector('html[data-charts]', { timeout: 180_000 });
  return p;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The report's browser test needs Chromium at ${CHROMIUM} and did not find it. Install Debian's package (as root: apt-get install -y chromium) ` +
        'or point SORTSCOPE_CHROMIUM at a Chromium/Chrome binary. The test never downloads a browser (do not run `npx playwright install`).',
    );
  }
  const study = inject('reportStudy');
  const partial = { name: 'no-circuits-no-llc', description: 'Only dataset and training (a stage that has not run yet).', dirs: { dataset: study.experiments[1].dirs.dataset, train: study.experiments[1].dirs.train, llc: join(study.root, 'artifacts/llc/not-run') } };
  outDir = mkdtempSync(join(tmpdir(), 'ss-report-browser-'));
  // a 4-experiment study (two more runs under other names) and one whose later stages are missing
  const copies = study.experiments.map((e) => ({ ...e, name: `${e.name}/seed=2` }));
  const { files } = await runReport({ experiments: [...study.experiments, ...copies, partial], outDir, quiet: true, figures: false, gifs: false });

  html = files.html;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await openReport(1400);
  specIds = await page.evaluate('Object.keys(JSON.parse(document.getElementById("report-specs").textContent))');
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** The heatmap's SVG markup without its title (which shows the step). */
const heatmapMarks = (id: string) => page.evaluate(`Array.from(document.getElementById(${JSON.stringify(id)}).querySelectorAll('svg g.mark-rect path')).map((p) => p.getAttribute('fill')).join(';')`) as Promise<string>;

describe('report in Chromium', () => {
  it('loads offline with no console errors and no network request', async () => {
    expect(await page.getAttribute('html', 'data-charts')).toBe('ready');
    expect(consoleErrors).toEqual([]);
    expect(blocked).toEqual([]);
  });

  it('renders every chart as a non-empty SVG', async () => {
    expect(specIds.length).toBe(4 * 12 + 3 + 2); // four full experiments, three overlays, the partial one's training charts
    const drawn = (await page.evaluate(`Array.from(document.querySelectorAll('div.chart')).map((d) => {
      const svg = d.querySelector('svg');
      const marks = svg ? svg.querySelectorAll('g[class*="mark-"] path, g[class*="mark-"] line').length : 0;
      return { id: d.id, width: svg ? svg.getBoundingClientRect().width : 0, marks };
    })`)) as { id: string; width: number; marks: number }[];
    expect(drawn.map((d) => d.id).sort()).toEqual([...specIds].sort());
    for (const d of drawn) {
      expect(d.width, d.id).toBeGreaterThan(100);
      expect(d.marks, d.id).toBeGreaterThan(5);
    }
  });

  it('says which stages are missing instead of drawing their charts', async () => {
    const notices = await page.locator('#exp-no-circuits-no-llc .notice').allTextContents();
    expect(notices.join('\n')).toMatch(/circuits missing: no circuits artifacts given/);
    expect(notices.join('\n')).toMatch(/llc missing: llc\/not-run does not exist/);
    expect(await page.locator('#exp-no-circuits-no-llc figure.unavailable').count()).toBe(10);
    expect(await page.locator('#exp-no-circuits-no-llc').textContent()).toMatch(/no LLC estimates: stage boundaries .* cannot be marked/);
  });

  it('moving the checkpoint slider changes the heatmap and the step shown', async () => {
    const id = 'clean--circuits';
    const slider = page.locator(`[data-chart="${id}"] input[type=range]`);
    expect(await slider.count()).toBe(1);
    const last = Number(await slider.getAttribute('max'));
    expect(await slider.inputValue()).toBe(String(last));
    const before = await heatmapMarks(id);
    expect(before.split(';').length).toBeGreaterThan(4 * 16 * 16);
    await slider.fill('0');
    await expect.poll(() => heatmapMarks(id)).not.toBe(before);
    expect(await page.locator(`[id="${id}--step"]`).textContent()).toMatch(/, step 0$/);
    expect(await page.locator(`[id="${id}"] svg`).first().textContent()).toMatch(/clean: step 0/);
  });

  it('labels the slider "checkpoint N of M, step S", counting from 1, and shows no 0-based index', async () => {
    const id = 'token-noise--circuits';
    const steps = JSON.parse((await page.locator(`button[data-player="${id}"]`).getAttribute('data-steps'))!) as number[];
    const slider = page.locator(`[data-chart="${id}"] input[type=range]`);
    expect(Number(await slider.getAttribute('max'))).toBe(steps.length - 1);
    const controls = page.locator(`[data-chart="${id}"] .controls`);
    const shown = async () => (await controls.innerText()).replace(/\s+/g, ' ').trim(); // what a reader sees: no hidden elements
    for (const [i, n] of [[0, 1], [steps.length - 1, steps.length], [1, 2]]) {
      await slider.fill(String(i));
      const want = `checkpoint ${n} of ${steps.length}, step ${steps[i]}`;
      await expect.poll(() => page.locator(`[id="${id}--step"]`).textContent()).toBe(want);
      expect(await shown()).toBe(`\u25B6 Play ${want}`);
      expect(await slider.getAttribute('aria-valuetext')).toBe(want);
    }
  });

  it('Play steps through the checkpoints and Pause stops', async () => {
    const id = 'token-noise--circuits';
    const button = page.locator(`button[data-player="${id}"]`);
    await page.locator(`[data-chart="${id}"] input[type=range]`).fill('0');
    const at0 = await heatmapMarks(id);
    await button.click();
    expect(await button.textContent()).toMatch(/Pause/);
    await expect.poll(() => page.locator(`[id="${id}--step"]`).textContent(), { timeout: 60_000 }).not.toMatch(/^checkpoint 1 of /);
    await button.click();
    expect(await button.textContent()).toMatch(/Play/);
    expect(await heatmapMarks(id)).not.toBe(at0);
    const slider = Number(await page.locator(`[data-chart="${id}"] input[type=range]`).inputValue());
    expect(slider).toBeGreaterThan(0); // the slider follows the animation
  });

  it('draws only readable LLC estimates as data: the axis spans them, the others are ▼ on its bottom edge', async () => {
    const r = (await page.evaluate(`(() => {
      const spec = JSON.parse(document.getElementById('report-specs').textContent)['study--llc'];
      const rows = spec.data.values;
      const readable = rows.filter((x) => x.readable);
      const marks = (i) => document.querySelectorAll('#study--llc g.layer_' + i + '_marks path').length;
      return { y: window.reportViews['study--llc'].scale('y').domain(), maxHi: Math.max(...readable.map((x) => x.hi)), readable: readable.length, unreadable: rows.length - readable.length, points: marks(2), edge: marks(3) };
    })()`)) as { y: number[]; maxHi: number; readable: number; unreadable: number; points: number; edge: number };
    expect(r.readable).toBeGreaterThan(0);
    expect(r.points).toBe(r.readable);
    expect(r.edge).toBe(r.unreadable);
    expect(r.y[1]).toBeCloseTo(1.1 * r.maxHi, 6);
  });

  it('zooms and pans with the wheel and a drag, and double-click resets', async () => {
    const id = 'study--llc';
    const x = () => page.evaluate(`window.reportViews[${JSON.stringify(id)}].scale('x').domain()`) as Promise<number[]>;
    const before = await x();
    await page.locator(`[id="${id}"]`).scrollIntoViewIfNeeded();
    const b2 = (await page.locator(`[id="${id}"] svg.marks`).boundingBox())!;
    await page.mouse.move(b2.x + b2.width * 0.35, b2.y + b2.height * 0.5);
    await page.mouse.wheel(0, -400);
    await expect.poll(async () => (await x())[1] - (await x())[0]).toBeLessThan(before[1] - before[0]);
    await page.mouse.dblclick(b2.x + b2.width * 0.35, b2.y + b2.height * 0.5);
    await expect.poll(x).toEqual(before);
  });

  it('a legend click shows one experiment alone; the run filter keeps the runs whose name matches', async () => {
    const id = 'study--accuracy';
    await page.locator(`[id="${id}"]`).scrollIntoViewIfNeeded();
    const opacities = () => page.evaluate(`Array.from(document.querySelectorAll('[id="${id}"] g.mark-line path')).map((p) => Number(p.getAttribute('opacity') ?? p.style.opacity ?? 1))`) as Promise<number[]>;
    const runs = (await opacities()).length;
    expect(runs).toBe(5); // four full runs and the training-only one
    expect((await opacities()).every((o) => o === 1)).toBe(true);
    await page.locator(`[id="${id}"] g.role-legend-symbol path`).first().click();
    await expect.poll(async () => (await opacities()).filter((o) => o < 0.5).length).toBe(runs - 1); // one picked
    await page.locator(`[id="${id}"] svg.marks`).dblclick({ position: { x: 5, y: 5 } }); // back to all
    await expect.poll(async () => (await opacities()).every((o) => o === 1)).toBe(true);
    const lines = () => page.evaluate(`document.querySelectorAll('[id="${id}"] g.mark-line path').length`) as Promise<number>;
    await page.locator(`[data-chart="${id}"] input[type=text]`).fill('SEED=2');
    await expect.poll(lines).toBe(2);
    await page.locator(`[data-chart="${id}"] input[type=text]`).fill('');
    await expect.poll(lines).toBe(runs);
  });

  it('shows the SGLD traces of any estimated checkpoint from its selector', async () => {
    const id = 'clean--llc-traces';
    const select = page.locator(`[data-chart="${id}"] select`);
    const spec = JSON.parse((await page.evaluate(`document.getElementById('report-specs').textContent`)) as string)[id];
    const steps = [...new Set(spec.datasets.traces.map((t: { step: number }) => t.step))] as number[];
    expect(steps.length).toBeGreaterThan(1);
    expect(await select.locator('option').allTextContents()).toEqual(steps.map((s) => `step ${s}`));
    expect(await select.inputValue()).toBe(String(steps.at(-1)));
    const paths = () => page.evaluate(`Array.from(document.querySelectorAll('[id="${id}"] g.mark-line path')).map((p) => p.getAttribute('d')).join('|')`) as Promise<string>;
    const last = await paths();
    await select.selectOption(String(steps[0]));
    await expect.poll(paths).not.toBe(last);
    await select.selectOption(String(steps.at(-1)));
    await expect.poll(paths).toBe(last);
  });

  it('downloads a chart\'s data as CSV and JSON, made in the page', async () => {
    const id = 'study--llc';
    const spec = JSON.parse((await page.evaluate(`document.getElementById('report-specs').textContent`)) as string)[id];
    const fig = page.locator(`figure[data-chart="${id}"]`);
    const [csv] = await Promise.all([page.waitForEvent('download'), fig.locator('a[data-download=csv]').click()]);
    expect(csv.suggestedFilename()).toBe(`${id}.csv`);
    const lines = readFileSync((await csv.path())!, 'utf8').trimEnd().split('\r\n');
    expect(lines[0].split(',').slice(0, 3)).toEqual(['experiment', 'step', 'mean']);
    expect(lines.length - 1).toBe(spec.data.values.length);
    expect(lines[1].split(',')[2]).toBe(String(spec.data.values[0].mean));
    const [json] = await Promise.all([page.waitForEvent('download'), fig.locator('a[data-download=json]').click()]);
    expect(JSON.parse(readFileSync((await json.path())!, 'utf8')).chart).toEqual(spec.data.values);
    expect(blocked).toEqual([]);
  });

  it('saves a screenshot', async () => {
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    const slider = page.locator('[data-chart="clean--circuits"] input[type=range]');
    await slider.fill(String(Math.floor(Number(await slider.getAttribute('max')) / 2))); // a checkpoint mid-training
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});

describe('report layout in Chromium', () => {
  interface Box { id: string; left: number; top: number; width: number; svg: number; scrolls: boolean; container: boolean }
  const figures = (p: Page) =>
    p.evaluate(`(() => {
      const specs = JSON.parse(document.getElementById('report-specs').textContent);
      return Array.from(document.querySelectorAll('figure[data-chart]:not(.wide)')).filter((f) => f.querySelector('div.chart')).map((f) => {
        const r = f.getBoundingClientRect();
        const chart = f.querySelector('div.chart');
        const svg = chart.querySelector('svg');
        const scrolls = chart.scrollWidth > chart.clientWidth;
        return { id: f.dataset.chart, left: Math.round(r.left), top: Math.round(r.top + scrollY), width: r.width, svg: svg ? svg.getBoundingClientRect().width : 0, scrolls, container: specs[f.dataset.chart].width === 'container' };
      });
    })()`) as Promise<Box[]>;

  for (const width of [1400, 1920]) {
    it(`at ${width} px: charts side by side, sized to their cells, nothing wider than the window, a sticky contents bar`, async () => {
      const p = await openReport(width);
      try {
        expect(await p.getAttribute('html', 'data-charts')).toBe('ready');
        // (a) charts share rows: figures with the same top offset side by side
        const figs = await figures(p);
        const rows = new Map<number, Box[]>();
        for (const f of figs) rows.set(f.top, [...(rows.get(f.top) ?? []), f]);
        const widest = Math.max(...[...rows.values()].map((r) => r.length));
        expect(widest, JSON.stringify(figs.map((f) => [f.id, f.left, f.top]))).toBeGreaterThanOrEqual(width >= 1900 ? 3 : 2);
        for (const r of rows.values()) expect(new Set(r.map((f) => f.left)).size).toBe(r.length);
        // single and layered charts take their cell's width (less vega-embed's 38 px for the … menu)
        const sized = figs.filter((f) => f.container);
        expect(sized.length).toBeGreaterThan(20);
        for (const f of sized) expect(Math.abs(f.width - 38 - f.svg), f.id).toBeLessThanOrEqual(2);
        // and the fixed-size ones (concatenations) fit their cells too, without scrolling
        for (const f of figs) expect({ id: f.id, svg: f.svg <= f.width, scrolls: f.scrolls }).toEqual({ id: f.id, svg: true, scrolls: false });
        // (b) nothing wider than the window; the summary table fits without scrolling
        const table = (await p.evaluate(`(() => {
          const wrap = document.querySelector('.summary-wrap');
          return { page: document.documentElement.scrollWidth, right: wrap.getBoundingClientRect().right, scroll: wrap.scrollWidth, client: wrap.clientWidth, overflow: getComputedStyle(wrap).overflowX };
        })()`)) as { page: number; right: number; scroll: number; client: number; overflow: string };
        expect(table.page).toBeLessThanOrEqual(width);
        expect(table.right).toBeLessThanOrEqual(width);
        expect(table.overflow).toBe('auto');
        expect(table.scroll, 'the summary table scrolls sideways').toBeLessThanOrEqual(table.client);
        // no legend is cut off: every legend lies inside its chart's SVG, and none elides entries
        const legends = (await p.evaluate(`Array.from(document.querySelectorAll('div.chart svg.marks')).flatMap((svg) => {
          const s = svg.getBoundingClientRect();
          return Array.from(svg.querySelectorAll('g.role-legend')).map((g) => {
            const r = g.getBoundingClientRect();
            const inside = r.left >= s.left - 1 && r.right <= s.right + 1 && r.top >= s.top - 1 && r.bottom <= s.bottom + 1;
            const elided = Array.from(g.querySelectorAll('text')).some((t) => /\u2026|entries/.test(t.textContent));
            return { id: svg.closest('div.chart').id, inside, elided };
          });
        })`)) as { id: string; inside: boolean; elided: boolean }[];
        expect(legends.length).toBeGreaterThan(20);
        for (const l of legends) expect(l).toEqual({ id: l.id, inside: true, elided: false });
        // (c) the contents bar stays at the top when scrolled, and a link lands below it
        const nav = p.locator('nav.contents');
        expect(await nav.locator('a').allTextContents()).toEqual(['Summary', 'clean', 'token-noise', 'clean/seed=2', 'token-noise/seed=2', 'no-circuits-no-llc', 'How to read this report']);
        await p.evaluate('window.scrollTo(0, 5000)');
        expect(await p.evaluate('scrollY')).toBe(5000);
        const bar = (await p.evaluate(`(() => { const r = document.querySelector('nav.contents').getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; })()`)) as { top: number; bottom: number };
        expect(bar.top).toBe(0);
        expect(bar.bottom).toBeGreaterThan(20);
        await nav.getByRole('link', { name: 'token-noise', exact: true }).click();
        await expect.poll(() => p.evaluate(`document.querySelector('#exp-token-noise h2').getBoundingClientRect().top`)).toBeGreaterThanOrEqual(bar.bottom);
        expect(await p.evaluate(`document.querySelector('#exp-token-noise h2').getBoundingClientRect().top`)).toBeLessThan(200);
        // (d) a screenshot of the whole page
        const file = join(outDir, `report-${width}.png`);
        await p.evaluate('window.scrollTo(0, 0)');
        await p.screenshot({ path: file, fullPage: true });
        const bytes = readFileSync(file);
        const height = (await p.evaluate('document.documentElement.scrollHeight')) as number;
        expect(pngInfo(bytes)).toEqual({ width, height });
        expect(height).toBeGreaterThan(2000);
        expect(bytes.length).toBeGreaterThan(200_000);
        expect(consoleErrors).toEqual([]);
        expect(blocked).toEqual([]);
      } finally {
        await p.close();
      }
    });
  }
});
