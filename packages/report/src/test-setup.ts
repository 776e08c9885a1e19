/**
 * vitest globalSetup of the report's tests: build the tiny study (testing.ts) once, in a fresh
 * temporary folder, and hand its experiments to every test file (`inject('reportStudy')`).
 * SORTSCOPE_REPORT_STUDY=<folder> builds it there instead and reuses it on later runs (quicker
 * iterations; delete the folder after changing testing.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ReportExperiment } from './load.ts';
import { makeReportWorkspace } from './testing.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    reportStudy: { root: string; experiments: ReportExperiment[] };
  }
}

export default async function setup(project: TestProject) {
  const keep = process.env.SORTSCOPE_REPORT_STUDY;
  const root = keep ?? mkdtempSync(join(tmpdir(), 'ss-report-'));
  const saved = join(root, 'experiments.json');
  let experiments: ReportExperiment[];
  if (keep && existsSync(saved)) experiments = JSON.parse(readFileSync(saved, 'utf8'));
  else {
    const t0 = performance.now();
    experiments = await makeReportWorkspace(root);
    writeFileSync(saved, JSON.stringify(experiments));
    if (!process.env.SORTSCOPE_QUIET) console.log(`report tests: tiny study built in ${((performance.now() - t0) / 1000).toFixed(1)}s in ${root}`);
  }
  project.provide('reportStudy', { root, experiments });
  return () => {
    if (!keep) rmSync(root, { recursive: true, force: true });
  };
}
