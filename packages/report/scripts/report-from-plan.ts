/**
 * Build a report from a workspace's artifacts as `sortscope plan --json` lists them (for trying
 * the report on real runs before the CLI wiring; the artifacts are only read):
 *
 *   npx tsx packages/report/scripts/report-from-plan.ts <workspace> <outDir> [--no-gifs] [--no-figures]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runReport } from '../src/index.ts';

interface PlanEntry {
  experiment: string;
  file: string;
  stages: Record<string, { dir: string; done: boolean }>;
}

const [root, outDir] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!root || !outDir) {
  console.error('usage: report-from-plan.ts <workspace> <outDir> [--no-gifs] [--no-figures]');
  process.exit(2);
}
const ws = resolve(root);
const plan = JSON.parse(execFileSync(process.execPath, [join(ws, 'bin/sortscope.mjs'), 'plan', '--json'], { cwd: ws, encoding: 'utf8' })) as PlanEntry[];
const experiments = plan.map((p) => {
  const file = JSON.parse(readFileSync(join(ws, p.file), 'utf8')) as { description?: string };
  const dirs = Object.fromEntries(Object.entries(p.stages).filter(([s]) => ['dataset', 'train', 'circuits', 'llc'].includes(s)).map(([s, v]) => [s, join(ws, v.dir)]));
  return { name: p.experiment, description: file.description ?? '', dirs };
});
const res = await runReport({ experiments, outDir: resolve(outDir), gifs: !process.argv.includes('--no-gifs'), figures: !process.argv.includes('--no-figures') });
const s = res.summary as { seconds: number; timing: unknown; html_bytes: number };
console.log(JSON.stringify({ seconds: s.seconds, timing: s.timing, html_bytes: s.html_bytes, files: Object.keys(res.files).length }, null, 2));
