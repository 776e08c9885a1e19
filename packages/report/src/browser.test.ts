/**
 * The report in a real browser: Debian's Chromium driven by playwright-core (which never downloads
 * a browser here). Builds the report of the tiny study plus an experiment whose circuits and LLC
 * are missing, opens index.html from disk with every network request refused, and checks that
 * the page loads without console errors, that every chart draws a non-empty SVG, that moving the
 * checkpoint slider changes the heatmap and that Play animates it. Saves a screenshot to
 * test-results/report.png (repository root).
 *
 * Chromium: $SORTSCOPE_CHROMIUM, else /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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
  const { files } = await runReport({ experiments: [...study.experiments, partial], outDir, quiet: true, figures: false, gifs: false });

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(files.html).href);
  await page.waitForSelector('html[data-charts]', { timeout: 60_000 });
  specIds = await page.evaluate('Object.keys(JSON.parse(document.getElementById("report-specs").textContent))');
}, 180_000);

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
    expect(specIds.length).toBeGreaterThanOrEqual(2 * 12 + 3 + 2); // two full experiments, three overlays, the partial one's training charts
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
    expect(await page.locator(`[id="${id}--step"]`).textContent()).toMatch(/^step 0 /);
    expect(await page.locator(`[id="${id}"] svg`).first().textContent()).toMatch(/clean: step 0/);
  });

  it('Play steps through the checkpoints and Pause stops', async () => {
    const id = 'token-noise--circuits';
    const button = page.locator(`button[data-player="${id}"]`);
    await page.locator(`[data-chart="${id}"] input[type=range]`).fill('0');
    const at0 = await heatmapMarks(id);
    await button.click();
    expect(await button.textContent()).toMatch(/Pause/);
    await expect.poll(() => page.locator(`[id="${id}--step"]`).textContent(), { timeout: 10_000 }).not.toMatch(/^step 0 /);
    await button.click();
    expect(await button.textContent()).toMatch(/Play/);
    expect(await heatmapMarks(id)).not.toBe(at0);
    const slider = Number(await page.locator(`[data-chart="${id}"] input[type=range]`).inputValue());
    expect(slider).toBeGreaterThan(0); // the slider follows the animation
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
