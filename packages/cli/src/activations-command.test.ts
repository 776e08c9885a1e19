/**
 * `sortscope activations` through the CLI in a child process: the Arrow file it writes holds the
 * tokens and each hook under its TransformerLens name with its shape in the metadata, its values
 * are the engine's forward pass on the same rows, and bad flags are refused (exit 2, nothing written).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readArtifact, readFixedSizeList } from '@sortscope/core';
import { FusedEngine } from '@sortscope/engine';
import { loadWeights } from '@sortscope/model';
import { ARENA_EVAL, ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/model/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
// made when the tests start, not while they are collected (a run filtering them all out would leave it)
let DIR: string;
beforeAll(() => {
  DIR = mkdtempSync(join(tmpdir(), 'ss-activations-'));
});
afterAll(() => DIR && rmSync(DIR, { recursive: true, force: true }));

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'activations', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('sortscope activations', () => {
  it('writes each hook under its TransformerLens name: the engine forward pass on those rows', async () => {
    const out = join(DIR, 'acts.arrow');
    const hooks = ['blocks.0.attn.hook_pattern', 'blocks.0.attn.hook_z', 'blocks.0.hook_resid_post'];
    const r = cli(['--weights', ARENA_WEIGHTS, '--hooks', hooks.join(','), '--data', ARENA_EVAL, '--rows', '25', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { table, meta } = readArtifact(out, { kind: 'activations', schemaVersion: 1, regenerate: 'sortscope activations' });
    expect(table.schema.fields.map((f) => f.name)).toEqual(['row', 'tokens', ...hooks]);
    expect(table.numRows).toBe(25);
    const shapes = meta.extra.shapes as Record<string, number[]>;
    expect(shapes).toEqual({ 'blocks.0.attn.hook_pattern': [25, 2, 20, 20], 'blocks.0.attn.hook_z': [25, 20, 2, 48], 'blocks.0.hook_resid_post': [25, 20, 96] });
    expect(meta.config).toMatchObject({ hooks, rows: 25, data: ARENA_EVAL });
    const tokens = arenaEvalTokens().subarray(0, 25 * 21);
    expect(readFixedSizeList(table, 'tokens', 21, Uint8Array)).toEqual(tokens);
    const w = loadWeights(ARENA_WEIGHTS);
    const engine = await FusedEngine.create(w.cfg, { threads: 2 });
    try {
      const cache = engine.forward(w.params, { tokens, rows: 25 }, { hooks: hooks as never }).cache as Record<string, { data: Float32Array }>;
      for (const h of hooks) {
        const got = readFixedSizeList(table, h, shapes[h].slice(1).reduce((a, b) => a * b, 1), Float32Array);
        let d = 0;
        got.forEach((v, i) => (d = Math.max(d, Math.abs(v - cache[h].data[i]))));
        expect(d, h).toBeLessThan(1e-5);
      }
    } finally {
      engine.dispose();
    }
  }, 600_000);

  it('refuses an unknown hook, a missing flag and an --out that is not .arrow, writing nothing', () => {
    const out = join(DIR, 'never.arrow');
    const bad = [
      [['--weights', ARENA_WEIGHTS, '--hooks', 'blocks.0.attn.hook_patern', '--out', out], /--hooks: unknown hook 'blocks\.0\.attn\.hook_patern'.*blocks\.0\.attn\.hook_pattern/],
      [['--weights', ARENA_WEIGHTS, '--out', out], /--hooks NAMES .* required/],
      [['--weights', ARENA_WEIGHTS, '--hooks', 'all', '--out', join(DIR, 'x.csv')], /--out: got .*x\.csv; expected a file name ending in \.arrow/],
      [['--weights', ARENA_WEIGHTS, '--hooks', 'all', '--rows', '0', '--out', out], /--rows: got 0; expected a positive integer/],
    ] as const;
    for (const [args, message] of bad) {
      const r = cli([...args]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^sortscope: ConfigError: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(2);
    }
    expect(existsSync(out)).toBe(false);
  }, 600_000);
});
