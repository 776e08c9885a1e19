/**
 * runReport on the tiny study: the files it writes, that they are valid (PNG and GIF read back),
 * that they are byte-identical across runs and worker counts, that a rerun keeps unchanged figures
 * and removes only the stale ones it wrote itself, and how long it takes.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gifInfo, pngInfo } from './image-info.ts';
import { runReport } from './stage.ts';

const made: string[] = [];
const tmp = () => {
  made.push(mkdtempSync(join(tmpdir(), 'ss-report-stage-')));
  return made.at(-1)!;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const listFiles = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.\w+$/.test(f)).sort();

let a: string;
let first: Awaited<ReturnType<typeof runReport>>;
let firstSeconds: number;
beforeAll(async () => {
  a = tmp();
  const t0 = performance.now();
  first = await runReport({ experiments: inject('reportStudy').experiments, outDir: a, quiet: true, workers: 2 });
  firstSeconds = (performance.now() - t0) / 1000;
}, 600_000);

describe('runReport', () => {
  it('writes index.html, summary.json, every chart as SVG + PNG and a GIF per head and circuit', () => {
    const files = listFiles(a);
    const charts = ['loss', 'accuracy', 'llc', 'llc-acceptance', 'llc-traces', 'llc-norms', 'circuit-symmetry', 'regions', 'overlap', 'ablation', 'attention', 'circuits'];
    const gifs = ['QK-L0H0', 'OV-L0H0', 'QK-L0H1', 'OV-L0H1'];
    const expected = [
      'figures/index.json',
      'experiments.json',
      'index.html',
      'summary.json',
      ...['llc', 'loss', 'accuracy'].flatMap((c) => [`figures/study/${c}.svg`, `figures/study/${c}.png`]),
      ...['clean', 'token-noise'].flatMap((e) => [...charts.flatMap((c) => [`figures/${e}/${c}.svg`, `figures/${e}/${c}.png`]), ...gifs.map((g) => `figures/${e}/${g}.gif`)]),
    ].sort();
    expect(files).toEqual(expected);
    expect(Object.values(first.files).map((f) => relative(a, f)).sort()).toEqual(expected.filter((f) => f !== 'figures/index.json'));
  });

  it('writes valid PNGs (the SVG size × png_scale) and GIFs with one frame per heatmap checkpoint', () => {
    for (const f of listFiles(a).filter((x) => x.endsWith('.png'))) {
      const svg = readFileSync(join(a, f.replace(/\.png$/, '.svg')), 'utf8');
      const [, w, h] = /^<svg [^>]*width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/.exec(svg)!.map(Number);
      expect(pngInfo(readFileSync(join(a, f))), f).toEqual({ width: Math.round(2 * w), height: Math.round(2 * h) });
    }
    const html = readFileSync(join(a, 'index.html'), 'utf8');
    const frames = JSON.parse(html.match(/data-player="clean--circuits" data-steps="([^"]*)"/)![1].replace(/&quot;/g, '"')) as number[];
    expect(frames.length).toBeGreaterThan(5);
    for (const g of ['QK-L0H0', 'OV-L0H1']) {
      const info = gifInfo(readFileSync(join(a, 'figures/clean', `${g}.gif`)));
      expect(info.frames).toBe(frames.length);
      expect(info.loops).toBe(true);
      expect(info.delays.slice(0, -1).every((d) => d === 200)).toBe(true);
      expect(info.delays.at(-1)).toBe(1700);
      expect(info.width).toBeGreaterThan(300);
      expect(html).toContain(`href="figures/clean/${g}.gif"`);
    }
  });

  it('summary.json is the summary table, and nothing in the output names the machine', () => {
    const summary = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    expect(summary.title).toBe('sortscope report');
    expect(summary.experiments).toEqual(JSON.parse(JSON.stringify((first.summary as { experiments: unknown }).experiments)));
    const { root } = inject('reportStudy');
    for (const f of listFiles(a).filter((x) => /\.(html|json|svg)$/.test(x))) expect(readFileSync(join(a, f), 'utf8').includes(root), f).toBe(false);
  });

  it('experiments.json maps every experiment name to its folders, and says why a stage was not read', async () => {
    const { experiments } = inject('reportStudy');
    const index = JSON.parse(readFileSync(join(a, 'experiments.json'), 'utf8'));
    expect(index.experiments.map((e: { name: string }) => e.name)).toEqual(experiments.map((e) => e.name));
    for (const [i, e] of experiments.entries())
      for (const s of ['dataset', 'train', 'circuits', 'llc'] as const) {
        const dir = e.dirs[s]!;
        expect(index.experiments[i].stages[s]).toEqual({ folder: `${s}/${dir.split('/').at(-1)}`, ready: true, reason: null });
      }
    // a stage that has not run: not ready, with the reason
    const d = tmp();
    const partial = { ...experiments[0], name: 'partial', dirs: { ...experiments[0].dirs, llc: join(d, 'llc/0123456789abcdef') } };
    await runReport({ experiments: [partial], outDir: d, quiet: true, figures: false, gifs: false });
    const llc = JSON.parse(readFileSync(join(d, 'experiments.json'), 'utf8')).experiments[0].stages.llc;
    expect(llc).toEqual({ folder: 'llc/0123456789abcdef', ready: false, reason: 'llc/0123456789abcdef does not exist: run the llc stage (npx nx run-many -t analyze)' });

    // a stage folder that exists but is damaged: shown missing, and listed as refused (the command exits 3)
    const llcDir = experiments[0].dirs.llc!;
    const damaged = join(d, 'llc', llcDir.split('/').at(-1)!);
    cpSync(llcDir, damaged, { recursive: true });
    const arrow = readdirSync(damaged).find((f) => f.endsWith('.arrow'))!;
    const bytes = readFileSync(join(damaged, arrow));
    bytes[bytes.length - 20] ^= 0xff;
    writeFileSync(join(damaged, arrow), bytes);
    const res = await runReport({ experiments: [{ ...experiments[0], name: 'damaged', dirs: { ...experiments[0].dirs, llc: damaged } }, partial], outDir: d, quiet: true, figures: false, gifs: false });
    expect(res.refused.map((r) => `${r.experiment} ${r.stage}`)).toEqual(['damaged llc']); // the stage that has not run is not refused
    expect(res.refused[0].reason).toMatch(/was changed after the llc stage wrote it/);
  }, 600_000);

  it('is deterministic: the same bytes again, in-thread instead of on workers', async () => {
    const b = tmp();
    await runReport({ experiments: inject('reportStudy').experiments, outDir: b, quiet: true, workers: 0 });
    expect(listFiles(a)).toEqual(listFiles(b));
    for (const f of listFiles(b)) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
  }, 600_000);

  it('a rerun keeps unchanged figures, renders changed or damaged ones, and removes only its own stale files', async () => {
    const c = tmp();
    const study = inject('reportStudy').experiments;
    const gone = { ...study[0], name: 'gone' };
    await runReport({ experiments: [...study, gone], outDir: c, quiet: true, workers: 2 });
    expect(listFiles(c).filter((f) => f.startsWith('figures/gone/')).length).toBeGreaterThan(10);
    mkdirSync(join(c, 'figures/mine'), { recursive: true });
    writeFileSync(join(c, 'figures/mine/plot.png'), 'a user file'); // not the report's: never deleted
    writeFileSync(join(c, 'figures/clean/loss.png'), 'damaged'); // the report's, damaged: rendered again
    type Timing = { timing: { figures_rendered: number; figures_reused: number } };
    // a description edited: nothing drawn changes, so only the damaged file is rendered again
    const edited = [...study, gone].map((e) => ({ ...e, description: `${e.description} (edited)` }));
    const again = await runReport({ experiments: edited, outDir: c, quiet: true, workers: 2 });
    const t = (again.summary as Timing).timing;
    expect(t.figures_rendered).toBe(1);
    expect(t.figures_reused).toBe(Object.keys(again.files).length - 4); // all others (not html, summary, experiments, and the damaged one)
    // an experiment leaves: its figures go, the overlays (3 charts × SVG + PNG) are drawn again
    const third = await runReport({ experiments: study, outDir: c, quiet: true, workers: 2 });
    expect((third.summary as Timing).timing.figures_rendered).toBe(6);
    expect(listFiles(c).filter((f) => f.startsWith('figures/gone/'))).toEqual([]);
    expect(readFileSync(join(c, 'figures/mine/plot.png'), 'utf8')).toBe('a user file');
    for (const f of listFiles(a).filter((x) => x.startsWith('figures/') && !x.endsWith('index.json'))) expect(readFileSync(join(a, f)).equals(readFileSync(join(c, f))), f).toBe(true);
    // an index that names files outside figures/ is ignored: nothing outside is deleted
    writeFileSync(join(c, 'outside.txt'), 'keep');
    const index = JSON.parse(readFileSync(join(c, 'figures/index.json'), 'utf8'));
    index.files['../outside.txt'] = { key: 'x', sha256: 'y' };
    writeFileSync(join(c, 'figures/index.json'), JSON.stringify(index));
    await runReport({ experiments: study, outDir: c, quiet: true, workers: 0 });
    expect(readFileSync(join(c, 'outside.txt'), 'utf8')).toBe('keep');
  }, 600_000);

  it('takes seconds: the page alone well under a second, with every figure and GIF a few seconds', async () => {
    const t0 = performance.now();
    const res = await runReport({ experiments: inject('reportStudy').experiments, outDir: tmp(), quiet: true, figures: false, gifs: false });
    const pageOnly = (performance.now() - t0) / 1000;
    expect(Object.keys(res.files).sort()).toEqual(['experiments', 'html', 'summary']);
    // measured on an idle 2-core machine: page only 0.15 s, everything 5 s (GIFs on 2 workers). A
    // ratio of two runs in this process holds on a loaded machine, where absolute bounds failed
    // (68 s for everything beside a running study); the absolute bound only catches a pathology
    expect(pageOnly).toBeLessThan(firstSeconds / 5);
    expect(firstSeconds).toBeLessThan(600);
  });
});
