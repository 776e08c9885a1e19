/**
 * `sortscope clean`: lists, and with --yes removes, exactly the artifact folders no experiment of
 * any study references; keeps referenced and locked ones.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDirs } from '@sortscope/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { orphanedFolders, STAGE_NAMES } from '@sortscope/workspace';
import { cleanCommand } from './clean-command.ts';
import { loadExperiment, experimentKeys, STAGES } from '@sortscope/workspace';

const tmp = useTempDirs('clean');

describe('sortscope clean', () => {
  it('knows every stage that writes artifact folders (its light list matches the pipeline)', () => {
    expect([...STAGE_NAMES]).toEqual(STAGES.map((s) => s.name));
  });

  it('finds the folders no study references, removes them only with --yes, and keeps locked ones and what they read (F26)', async () => {
    const root = tmp();
    writeFileSync(join(root, 'nx.json'), '{}');
    mkdirSync(join(root, 'experiments'));
    mkdirSync(join(root, 'studies', 'other'), { recursive: true });
    writeFileSync(join(root, 'experiments', 'a.json'), JSON.stringify({ dataset: { n_train: 100 } }));
    writeFileSync(join(root, 'studies', 'other', 'b.json'), JSON.stringify({ dataset: { n_train: 200 } }));
    const keyOf = (ref: string, stage: string) => experimentKeys(loadExperiment(ref, root).config)[stage].key;
    const used = [join('dataset', keyOf('experiments/a.json', 'dataset')), join('train', keyOf('studies/other/b.json', 'train'))];
    const orphan = [join('dataset', 'aaaaaaaaaaaaaaaa'), join('llc', 'bbbbbbbbbbbbbbbb')];
    const locked = join('train', 'cccccccccccccccc');
    const readByLocked = join('dataset', 'dddddddddddddddd'); // the running train's dataset: no experiment references it either
    for (const d of [...used, ...orphan, locked, readByLocked]) {
      mkdirSync(join(root, 'artifacts', d), { recursive: true });
      writeFileSync(join(root, 'artifacts', d, 'x.arrow'), 'data');
    }
    writeFileSync(join(root, 'artifacts', locked, '.lock'), JSON.stringify({ pid: 1, host: 'h', reads: [join(root, 'artifacts', readByLocked)] }));
    expect((await orphanedFolders(root)).map((d) => d.slice(join(root, 'artifacts').length + 1)).sort()).toEqual([...orphan, locked, readByLocked].sort());

    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      await cleanCommand.run({ globals: { quiet: true }, overrides: {}, positionals: [] } as never, root);
      for (const d of [...used, ...orphan, locked]) expect(existsSync(join(root, 'artifacts', d))).toBe(true); // dry run
      await cleanCommand.run({ globals: { quiet: true, yes: true }, overrides: {}, positionals: [] } as never, root);
    } finally {
      spy.mockRestore();
    }
    expect(out.join('')).toMatch(/artifacts\/train\/cccccccccccccccc {2}0\.0 MB {2}\(in use: kept\)/);
    expect(out.join('')).toMatch(/artifacts\/dataset\/dddddddddddddddd {2}0\.0 MB {2}\(read by a running stage: kept\)/);
    for (const d of orphan) expect(existsSync(join(root, 'artifacts', d))).toBe(false);
    for (const d of [...used, locked, readByLocked]) expect(existsSync(join(root, 'artifacts', d))).toBe(true);
  });
});
