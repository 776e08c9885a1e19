/**
 * A study's experiments as the report and the findings read them: each experiment's name,
 * description and the stage folders of it that exist; and the study's report options file.
 */
import { existsSync } from 'node:fs';
import type { ReportExperiment } from '@sortscope/report';
import { studyRefs } from './discover.ts';
import { loadExperiment } from './experiment.ts';
import { experimentKeys, STAGES, taskDir } from './plan.ts';

export function studyReportExperiments(root: string, study: string): ReportExperiment[] {
  return studyRefs(root, study).map((ref) => {
    const e = loadExperiment(ref, root);
    const keys = experimentKeys(e.config);
    const dirs = Object.fromEntries(STAGES.map((s) => [s.name, taskDir(root, s.name, keys[s.name].key)]).filter(([, d]) => existsSync(d)));
    return { name: e.name, description: e.config.description, dirs };
  });
}
