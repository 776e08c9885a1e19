/**
 * Wall time of the circuits stage on ~100 checkpoints of the ARENA-size model (the fixture with
 * seeded 5% perturbations) and the default config:
 *   npx tsx packages/circuits/scripts/bench-stage.ts [checkpoints=100] [workers]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CircuitsConfigSchema, runCircuitsStage } from '../src/index.ts';
import { makeRunDirs } from '../src/testing.ts';

const checkpoints = Number(process.argv[2] ?? 100);
const workers = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const root = mkdtempSync(join(tmpdir(), 'circuits-bench-'));
try {
  const dirs = makeRunDirs(root, { checkpoints, model: 'arena', validationRows: 1000 });
  const t0 = performance.now();
  const { summary } = await runCircuitsStage(CircuitsConfigSchema.parse({}), { outDir: join(root, 'out'), trainDir: dirs.trainDir, datasetDir: dirs.datasetDir, workers, quiet: false });
  const s = summary as { workers: number; engine: string };
  process.stdout.write(`${checkpoints} checkpoints, ${s.workers} workers, ${s.engine}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
