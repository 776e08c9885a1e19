/**
 * `sortscope findings`: the numbers docs/findings.md cites, for every experiment of a study.
 * They come from the study's artifacts when it has any, else from its committed compact results
 * (docs/findings/<study>.json, written by `--save`), so they print on a fresh clone without
 * recomputing; `--check` recomputes them from the artifacts and compares with the committed file.
 * Read only, except `--save` and `--claims --into FILE`. Definitions: packages/findings/src/facts.ts, data.ts, claims.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_STUDY } from '@sortscope/workspace/defaults';
import type { CompactStudy } from '@sortscope/findings';
import type { Command } from './command.ts';

export const findingsCommand: Command = {
  spec: {
    name: 'findings',
    summary: "Print the numbers docs/findings.md is written from, for a study's experiments: from its artifacts, or from its committed compact results.",
    globals: [
      { name: 'study', type: 'string', value: 'NAME', description: `the study [default: $SORTSCOPE_STUDY or ${DEFAULT_STUDY} (experiments/)]` },
      { name: 'cells', type: 'boolean', description: 'per cell (an experiment without its seed): mean ± sd over seeds of the stage markers and the LLC (packages/findings/src/claims.ts)' },
      { name: 'changes', type: 'boolean', description: 'per cell: the paired change of λ̂ (target all) between consecutive estimated steps over seeds, with t and the direction (packages/findings/src/changes.ts)' },
      { name: 'claims', type: 'boolean', description: "the third edition's verdicts on the paper's LLC claims, by rules fixed before the numbers (packages/findings/src/verdicts.ts), with the command that prints each one's evidence" },
      { name: 'into', type: 'string', value: 'FILE', description: 'with --claims: also write the table into FILE, between its lines "<!-- sortscope findings --study claims --claims: begin -->" and "… end -->" (how docs/findings.md holds it)' },
      { name: 'target', type: 'string', value: 'TARGET', description: 'with --changes: the LLC target (all, L0H0, …) [default: all]' },
      { name: 'compare', type: 'string', value: 'A@S,B@S', description: 'paired by seed: λ̂ of cell A at step S minus cell B at its step (CELL@STEP[:TARGET]); several pairs separated by ";" (packages/findings/src/compare.ts)' },
      { name: 'curve', type: 'string', value: 'EXPERIMENT', description: "print one experiment's curve: loss, overlap, regions, split agreement, LLC per target" },
      { name: 'from', type: 'string', value: 'FILE', description: 'read these compact results [default: the artifacts if the study has any, else docs/findings/<study>.json]' },
      { name: 'save', type: 'boolean', description: "compute the compact results from the artifacts and merge them into docs/findings/<study>.json (committed experiments not here are kept while their stage keys are today's)" },
      { name: 'missing', type: 'boolean', description: 'print, as one comma-separated list of Nx projects, the experiments the committed results do not hold complete with today\'s keys' },
      { name: 'check', type: 'boolean', description: 'recompute from the artifacts and compare with docs/findings/<study>.json (exit 3 on a difference)' },
      { name: 'json', type: 'boolean', description: 'print JSON instead of Markdown tables' },
      { name: 'quiet', type: 'boolean', description: 'no log lines on stderr' },
    ],
    notes: ['Experiments without finished train artifacts are skipped. Definitions: packages/findings/src/facts.ts, packages/findings/src/data.ts, packages/findings/src/claims.ts.'],
  },
  async run(args, root) {
    // printing from compact results loads only the light modules (no Arrow, engine or report code);
    // reading artifacts (--save, --check, a study with artifacts here) imports the heavy half then
    const { ArtifactError, ConfigError } = await import('@sortscope/core/errors');
    const { log } = await import('@sortscope/core/progress');
    const { behaviourMarkdown, cellSummaries, cellsMarkdown, changesMarkdown, compactCurveMarkdown, claimResults, claimsTable, CLAIMS_BLOCK, compareCompact, MATCHED_LOSS_CELLS, matchedLoss, replaceBlock, STUDY_NBETA, symmetryVsLlc, comparePoints, comparisonsMarkdown, LLC_CLAIMS, factsMarkdown, parsePoint, llcChanges, llcSteps, llcStepsMarkdown, mergeCompact, missingExperiments, plannedKeys, studyKeys, readCompact, resultsFile, staleExperiments, staleHeld, groupCounts } =
      await import('@sortscope/findings/print');
    const { currentStudy, requireStudy } = await import('@sortscope/workspace/experiment');
    const { experimentProjectName } = await import('@sortscope/workspace/nx-plugin');
    const { studyReportExperiments } = await import('@sortscope/workspace/study-report');
    const g = args.globals;
    const quiet = Boolean(g.quiet);
    const study = (g.study as string | undefined) ?? currentStudy();
    const committed = resultsFile(root, study);
    // a study that is neither defined here nor committed is a typo, not "not trained yet"
    if (g.from === undefined && !existsSync(committed)) requireStudy(study, g.study !== undefined ? '--study' : 'SORTSCOPE_STUDY', root);
    // --save and printing reuse a committed entry whose stage keys match the verified artifacts here
    // (results.ts reusableEntry); --check recomputes every entry, which is what it checks
    const fromArtifacts = async (reuse: boolean) => {
      const prior = reuse && existsSync(committed) ? readCompact(committed) : null;
      const { compactFromArtifacts } = await import('@sortscope/findings');
      const c = await compactFromArtifacts(root, study, quiet, prior);
      if (c.experiments.length === 0) throw new ConfigError(`study '${study}': no experiment has been trained yet (run: SORTSCOPE_STUDY=${study} npx nx run-many -t analyze)`);
      const reused = prior ? c.experiments.filter((e) => prior.experiments.includes(e)).length : 0;
      if (reused) log(`findings: ${reused} of ${c.experiments.length} experiments taken from ${relative(root, committed)} (the same stage keys as the artifacts here; --check recomputes them)`, quiet);
      return c;
    };
    let data: CompactStudy;
    if (g.missing) {
      const held = existsSync(committed) ? readCompact(committed) : null;
      const { planned, keysUnder } = studyKeys(root, study);
      const missing = missingExperiments(held, planned);
      const stale = new Set(staleHeld(held, planned, keysUnder));
      const older = stale.size ? ` (${missing.length - stale.size} never computed with today's keys, ${stale.size} held from earlier stage versions or settings: ${groupCounts(stale)})` : '';
      log(`findings: ${missing.length} experiments of '${study}' are not complete in ${relative(root, committed)}${existsSync(committed) ? '' : ' (it does not exist yet)'}${older}`, quiet);
      process.stdout.write(`${missing.map(experimentProjectName).join(',')}\n`);
      return 0;
    }
    if (g.save || g.check) {
      data = await fromArtifacts(!g.check);
      if (g.save) {
        const { planned, keysUnder } = studyKeys(root, study);
        const { merged, kept, dropped, staleKept } = mergeCompact(existsSync(committed) ? readCompact(committed) : null, data, planned, keysUnder);
        // entries kept stale from before heights were recorded: their height from their own llc artifacts, where still here
        const backfilled = await backfillHeights(root, merged, staleKept, quiet);
        const { writeFileAtomic } = await import('@sortscope/core/atomic');
        writeFileAtomic(committed, `${JSON.stringify(merged)}\n`);
        if (backfilled) log(`findings: ${backfilled} of the ${staleKept.length} stale entries given their relaxation heights from their llc artifacts here`, quiet);
        for (const d of dropped) log(`findings: dropped ${d}`, quiet);
        const fromHere = data.experiments.length - staleKept.filter((n) => data.experiments.some((e) => e.experiment === n)).length;
        log(`findings: ${fromHere} experiments from the artifacts${kept.length ? ` + ${kept.length} kept from the committed file` : ''}${staleKept.length ? ` + ${staleKept.length} kept with their earlier llc results (marked stale: the artifacts here have no llc results for them under today's key)` : ''} → ${relative(root, committed)}`, quiet);
        data = merged;
      } else {
        if (!existsSync(committed)) throw new ArtifactError(`--check: ${relative(root, committed)} does not exist; write it with --save`);
        // runs held stale (an earlier llc version's numbers, kept while the study recomputes them) have no artifacts of that version to check against
        const held = readCompact(committed);
        const stale = held.experiments.filter((e) => e.stale?.length).map((e) => e.experiment);
        const checked = { ...held, experiments: held.experiments.filter((e) => !stale.includes(e.experiment)) };
        const diff = compareCompact(checked, { ...data, experiments: data.experiments.filter((e) => !stale.includes(e.experiment)) });
        if (diff.length) throw new ArtifactError(`--check: the artifacts differ from ${relative(root, committed)}:\n  ${diff.join('\n  ')}`);
        log(`findings: the artifacts reproduce ${relative(root, committed)} (${checked.experiments.length} experiments${stale.length ? `; ${stale.length} held stale from an earlier llc version are not checked` : ''})`, quiet);
      }
    } else if (g.from !== undefined) data = readCompact(String(g.from));
    else if (studyReportExperiments(root, study).some((e) => e.dirs.train)) data = await fromArtifacts(true);
    else if (existsSync(committed)) {
      log(`findings: no artifacts of study '${study}' here; printing its committed results ${relative(root, committed)}`, quiet);
      data = readCompact(committed);
      // never silently stale: say so when the study's configs and stage versions now give other keys
      const stale = staleExperiments(data, plannedKeys(root, study));
      if (stale.length)
        log(`findings: warning: ${stale.length} of ${data.experiments.length} experiments in ${relative(root, committed)} were computed with other stage versions or settings than the study now gives (e.g. an earlier llc version); rerunning recomputes them (findings --missing lists them)`, quiet);
    } else throw new ConfigError(`study '${study}': no experiment has been trained yet and ${relative(root, committed)} does not exist (run: SORTSCOPE_STUDY=${study} npx nx run-many -t analyze)`);

    const curve = g.curve as string | undefined;
    if (curve !== undefined) {
      const e = data.experiments.find((x) => x.experiment === curve);
      if (!e) throw new ConfigError(`--curve: got ${JSON.stringify(curve)}; expected one of: ${data.experiments.map((x) => x.experiment).join(', ')}`);
      process.stdout.write(g.json ? `${JSON.stringify(e.curve, null, 2)}\n` : compactCurveMarkdown(e));
    } else if (g.claims) {
      const table = claimsTable(data.experiments);
      if (g.into !== undefined) {
        const into = resolve(String(g.into));
        if (!existsSync(into)) throw new ConfigError(`--into: ${g.into} does not exist; expected a Markdown file with a block "<!-- ${CLAIMS_BLOCK}: begin -->" … "<!-- ${CLAIMS_BLOCK}: end -->"`);
        const { writeFileAtomic } = await import('@sortscope/core/atomic');
        writeFileAtomic(into, replaceBlock(readFileSync(into, 'utf8'), CLAIMS_BLOCK, table, String(g.into)));
        log(`findings: the claims table written into ${relative(root, into)}`, quiet);
      }
      process.stdout.write(g.json ? `${JSON.stringify({ llc: claimResults(data.experiments, LLC_CLAIMS), matched_loss: Object.fromEntries(MATCHED_LOSS_CELLS.map(({ cell }) => [cell, matchedLoss(data.experiments, cell, STUDY_NBETA)])), symmetry: symmetryVsLlc(data.experiments, 'baseline/gamma10000') }, null, 2)}\n` : table);
    } else if (g.compare !== undefined) {
      const pairs = String(g.compare).split(';').filter((x) => x.trim()).map((pair) => {
        const sides = pair.split(',');
        if (sides.length !== 2) throw new ConfigError(`--compare: got ${JSON.stringify(pair)}; expected two points A@STEP,B@STEP (pairs separated by ";")`);
        return comparePoints(data.experiments, parsePoint(sides[0]), parsePoint(sides[1]));
      });
      process.stdout.write(g.json ? `${JSON.stringify(pairs, null, 2)}\n` : comparisonsMarkdown(pairs));
    } else if (g.changes) {
      const changes = llcChanges(data.experiments, (g.target as string | undefined) ?? 'all');
      process.stdout.write(g.json ? `${JSON.stringify(changes, null, 2)}\n` : changesMarkdown(changes));
    } else if (g.cells) {
      const cells = cellSummaries(data.experiments);
      const steps = llcSteps(data.experiments);
      process.stdout.write(g.json ? `${JSON.stringify({ cells, llc_steps: steps }, null, 2)}\n` : `${cellsMarkdown(cells)}\n${llcStepsMarkdown(steps)}\n${behaviourMarkdown(cells)}`);
    } else {
      const facts = data.experiments.map((e) => e.facts);
      process.stdout.write(g.json ? `${JSON.stringify(facts, null, 2)}\n` : factsMarkdown(facts));
    }
    return 0;
  },
};

/**
 * Sets, in place, the relaxation heights of the stale entries whose llc artifacts (by their own llc
 * key) are still here; returns how many. One that cannot be read stays unjudged, with a line saying so.
 */
async function backfillHeights(root: string, study: CompactStudy, stale: string[], quiet: boolean): Promise<number> {
  const { readHeightRows } = await import('@sortscope/llc');
  const { withHeights } = await import('@sortscope/findings/print');
  const { log } = await import('@sortscope/core/progress');
  let n = 0;
  study.experiments.forEach((e, i) => {
    const key = e.keys?.llc;
    const file = key ? join(root, 'artifacts', 'llc', key, 'estimates.arrow') : '';
    if (!stale.includes(e.experiment) || !file || !existsSync(file)) return;
    try {
      study.experiments[i] = withHeights(e, readHeightRows(file));
      n++;
    } catch (err) {
      log(`findings: ${e.experiment}: its relaxation heights stay unjudged (${(err as Error).message.split('\n')[0]})`, quiet);
    }
  });
  return n;
}
