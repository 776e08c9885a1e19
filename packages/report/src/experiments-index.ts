/**
 * `experiments.json` beside the report: the study's index of artifact folders by experiment name.
 * Folders are content keys (`artifacts/<stage>/<key>/`, shared by every experiment that agrees on
 * the stage and its inputs), so a reader outside TypeScript needs this map to find "the llc of
 * baseline/gamma10000-seed=3". Per experiment and stage: the folder relative to the artifacts
 * directory, and whether the report read it (its manifest verified against its upstream folders)
 * or why not. Written by every report run, so it is as current as the report itself;
 * `npx sortscope plan --json` gives the same folders without running anything.
 */
import { type LoadedExperiment, REPORT_STAGES, type ReportExperiment, type ReportStage, sourceName } from './load.ts';

export interface IndexedStage {
  /** `<stage>/<key>`, relative to the artifacts directory */
  folder: string | null;
  /** read and verified by this report */
  ready: boolean;
  /** why not, when not ready */
  reason: string | null;
}

export interface ExperimentsIndex {
  experiments: { name: string; description: string; stages: Record<ReportStage, IndexedStage> }[];
}

export function experimentsIndex(experiments: readonly ReportExperiment[], loaded: readonly LoadedExperiment[]): ExperimentsIndex {
  if (experiments.length !== loaded.length) throw new Error(`experiments index: ${experiments.length} experiments, ${loaded.length} loaded`);
  return {
    experiments: experiments.map((e, i) => {
      const l = loaded[i];
      const stages = Object.fromEntries(
        REPORT_STAGES.map((s) => {
          const dir = e.dirs[s];
          const missing = l.missing.find((m) => m.stage === s);
          return [s, { folder: dir ? sourceName(dir) : null, ready: l[s] !== null, reason: l[s] !== null ? null : (missing?.reason ?? 'not read') }];
        }),
      ) as Record<ReportStage, IndexedStage>;
      return { name: e.name, description: e.description, stages };
    }),
  };
}
