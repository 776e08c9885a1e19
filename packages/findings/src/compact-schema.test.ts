import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactProblems } from './compact-schema.ts';

const FINDINGS = resolve(import.meta.dirname, '../../../docs/findings');

describe('compact results files', () => {
  it('every committed docs/findings/*.json is one', () => {
    const files = readdirSync(FINDINGS).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(compactProblems(JSON.parse(readFileSync(join(FINDINGS, f), 'utf8'))), f).toEqual([]);
  });

  it('names the field that is wrong, for garbage at every level', () => {
    const good = JSON.parse(readFileSync(join(FINDINGS, 'claims.json'), 'utf8'));
    const e = good.experiments[0];
    const withExperiment = (x: unknown) => ({ ...good, experiments: [x] });
    expect(compactProblems(null)).toEqual(['(the top level): Invalid input: expected object, received null']);
    expect(compactProblems({ study: 's', note: '', experiments: [1] })).toEqual(['experiments[0]: Invalid input: expected object, received number']);
    expect(compactProblems(withExperiment({ ...e, cell: 7 }))).toEqual(['experiments[0].cell: Invalid input: expected string, received number']);
    const badRow = structuredClone(e);
    badRow.curve[2].llc = { all: { mean: 'high', std: 1, se: 1, flagged: 0, n_ok: 4, init_loss: 0.1 } };
    expect(compactProblems(withExperiment(badRow))).toEqual(['experiments[0].curve[2].llc.all.mean: Invalid input: expected number, received string']);
    const badBehaviour = structuredClone(e);
    badBehaviour.behaviour.confidence.heads = {};
    expect(compactProblems(withExperiment(badBehaviour))).toEqual(['experiments[0].behaviour.confidence.heads: Invalid input: expected array, received object']);
    // at most 5 lines, then a count
    const many = compactProblems({ study: 's', note: '', experiments: [{}, {}] });
    expect(many).toHaveLength(6);
    expect(many[5]).toMatch(/^… and \d+ more$/);
  });

  it('takes nulls for numbers (NaN in JSON) and fields it does not know', () => {
    const good = JSON.parse(readFileSync(join(FINDINGS, 'claims.json'), 'utf8'));
    const e = structuredClone(good.experiments[0]);
    e.curve[0].val_loss = null;
    e.curve[0].a_newer_column = [1, 2];
    e.facts.a_newer_fact = 'x';
    expect(compactProblems({ ...good, experiments: [e], written_by: 'a later version' })).toEqual([]);
  });
});
