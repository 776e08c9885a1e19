/**
 * `sortscope findings`: the numbers docs/findings.md cites, for every experiment of a study whose
 * artifacts exist (src/findings.ts defines each column). Read only.
 */
import { ConfigError } from '@sortscope/core';
import { loadExperiment as loadArtifacts } from '@sortscope/report';
import { curveMarkdown, experimentCurve, experimentFacts, factsMarkdown } from './findings.ts';
import { currentStudy, DEFAULT_STUDY } from './experiment.ts';
import type { Command } from './main.ts';
import { studyReportExperiments } from './report-command.ts';

export const findingsCommand: Command = {
  spec: {
    name: 'findings',
    summary: "Print the numbers docs/findings.md is written from (training, vocabulary split, LLC, heads) for a study's experiments.",
    globals: [
      { name: 'study', type: 'string', value: 'NAME', description: `the study [default: $SORTSCOPE_STUDY or ${DEFAULT_STUDY} (experiments/)]` },
      { name: 'curve', type: 'string', value: 'EXPERIMENT', description: 'print one experiment\'s LLC curve with its training and split progress instead' },
      { name: 'json', type: 'boolean', description: 'print JSON instead of Markdown tables' },
    ],
    notes: ['Experiments without finished train artifacts are skipped. Definitions: src/findings.ts.'],
  },
  async run(args, root) {
    const study = (args.globals.study as string | undefined) ?? currentStudy();
    const experiments = studyReportExperiments(root, study).filter((e) => e.dirs.train);
    if (experiments.length === 0) throw new ConfigError(`study '${study}': no experiment has been trained yet (run: SORTSCOPE_STUDY=${study} npx nx run-many -t analyze)`);
    const curve = args.globals.curve as string | undefined;
    if (curve !== undefined) {
      const e = experiments.find((x) => x.name === curve);
      if (!e) throw new ConfigError(`--curve: got ${JSON.stringify(curve)}; expected one of the trained experiments: ${experiments.map((x) => x.name).join(', ')}`);
      const rows = experimentCurve(loadArtifacts(e, 'raw-normalised'));
      process.stdout.write(args.globals.json ? `${JSON.stringify(rows, null, 2)}\n` : curveMarkdown(curve, rows));
      return 0;
    }
    // a training run still in progress has a folder but no artifacts yet: skip it
    const loaded = experiments.map((e) => loadArtifacts(e, 'raw-normalised')).filter((e) => e.train !== null);
    const facts = loaded.map(experimentFacts);
    process.stdout.write(args.globals.json ? `${JSON.stringify(facts, null, 2)}\n` : factsMarkdown(facts));
    return 0;
  },
};
