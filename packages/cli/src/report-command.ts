/**
 * `sortscope report`: the report of a study (experiments/ by default, or studies/<name>/): every
 * experiment's artifacts that exist, overlays across experiments and a summary table, written to
 * artifacts/report/ (artifacts/report-<study>/ for other studies). Study-level options come from
 * the study folder's `report.json` (if any) and flags, as the report section's schema defines them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ReportConfigSchema } from '@sortscope/report/schema';
import { DEFAULT_STUDY, REPORT_OPTIONS_FILE } from '@sortscope/workspace/defaults';
import { type Command, MAX_WORKERS } from './command.ts';

export const reportCommand: Command = {
  spec: {
    name: 'report',
    summary: "Write a study's report: one self-contained HTML page, SVG/PNG figures and GIFs of the circuits over training.",
    section: { name: 'report', schema: ReportConfigSchema },
    globals: [
      { name: 'study', type: 'string', value: 'NAME', description: `the study [default: $SORTSCOPE_STUDY or ${DEFAULT_STUDY} (experiments/)]` },
      { name: 'out', type: 'string', value: 'DIR', description: 'where to write it [default: artifacts/report/, or artifacts/report-<study>/]' },
      { name: 'workers', type: 'number', value: 'N', description: 'worker threads for the GIFs (0: this thread) [default: the cores]', integer: { min: 0, max: MAX_WORKERS } },
      { name: 'json', type: 'boolean', description: 'print the summary table as JSON' },
      { name: 'quiet', type: 'boolean', description: 'no log lines on stderr' },
    ],
    notes: [`Options also come from <study folder>/${REPORT_OPTIONS_FILE} (defaults < that file < flags).`],
  },
  async run(args, root) {
    const [{ ConfigError, deepMerge, parseSection, readJsonFile }, { runReport }, { checkOutDir, currentStudy, reportDir, requireStudy, studyDir, studyReportExperiments }] = await Promise.all([
      import('@sortscope/core'),
      import('@sortscope/report'),
      import('@sortscope/workspace'),
    ]);
    const g = args.globals;
    const study = g.study !== undefined ? requireStudy(String(g.study), '--study', root) : requireStudy(currentStudy(), 'SORTSCOPE_STUDY', root);
    const outDir = g.out !== undefined ? checkOutDir(String(g.out), '--out') : join(root, reportDir(study));
    const optionsFile = join(root, studyDir(study), REPORT_OPTIONS_FILE);
    const fromFile = existsSync(optionsFile) ? readJsonFile(optionsFile) : {};
    const config = parseSection(ReportConfigSchema, deepMerge(fromFile, args.overrides), { source: `${existsSync(optionsFile) ? optionsFile : '(defaults)'} + flags`, prefix: ['report'] });
    const experiments = studyReportExperiments(root, study);
    if (experiments.length === 0) throw new ConfigError(`study '${study}' has no experiments to report on`);
    const workers = g.workers as number | undefined;
    if (workers !== undefined && (!Number.isInteger(workers) || workers < 0)) throw new ConfigError(`--workers: got ${workers}; expected a whole number >= 0`);
    const { summary, refused } = await runReport({ experiments, outDir, config, quiet: Boolean(g.quiet), workers, root });
    if (g.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (refused.length === 0) return 0;
    // the page is written (it shows what could be read), but a study with damaged folders is not a success
    process.stderr.write(refusedMessage(refused));
    return 3;
  },
};

/** The error for a report written without some damaged stage folders: each with its reason (printed under --quiet too). */
export function refusedMessage(refused: { experiment: string; stage: string; reason: string }[]): string {
  const lines = refused.map((r) => `  ${r.experiment} ${r.stage}: ${r.reason}\n`).join('');
  return `sortscope: ArtifactError: the report was written without ${refused.length} stage folder(s) it refused (they are shown missing on the page):\n${lines}`;
}
