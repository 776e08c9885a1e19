/**
 * A screenshot of a built report in Debian's Chromium (as the browser test does), e.g. the one in
 * docs/report-screenshot.png:
 *
 *   npx tsx packages/report/scripts/screenshot.ts artifacts/report/index.html docs/report-screenshot.png \
 *     [--width 1500] [--height 1100] [--full] [--scroll-to exp-baseline] [--offset 12] [--frame 20]
 *
 * --scroll-to puts the element with that id at the top (--offset pixels below it); --frame sets
 * every heatmap's checkpoint slider (a frame index) before the picture is taken.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const [html, out] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.match(/^--(width|height|scroll-to|offset|frame)$/));
if (!html || !out) {
  console.error('usage: screenshot.ts <index.html> <out.png> [--width W] [--height H] [--full] [--scroll-to ID] [--offset PX] [--frame I]');
  process.exit(2);
}
const executablePath = process.env.SORTSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage({ viewport: { width: Number(flag('width') ?? 1500), height: Number(flag('height') ?? 1100) } });
  page.on('console', (m) => m.type() === 'error' && console.error(`console: ${m.text()}`));
  await page.goto(pathToFileURL(resolve(html)).href);
  await page.waitForSelector('html[data-charts]', { timeout: 120_000 });
  const frame = flag('frame');
  if (frame !== undefined) for (const s of await page.locator('input[type=range]').all()) await s.fill(frame);
  const target = flag('scroll-to');
  if (target) await page.evaluate(`document.getElementById(${JSON.stringify(target)}).scrollIntoView({ block: 'start' }); window.scrollBy(0, -${Number(flag('offset') ?? 0)})`);
  await page.waitForTimeout(300);
  await page.screenshot({ path: resolve(out), fullPage: args.includes('--full') });
  console.log(`${out}: ${await page.getAttribute('html', 'data-charts')}`);
} finally {
  await browser.close();
}
