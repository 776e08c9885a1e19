/**
 * Sweeps: one file that expands into many experiments (`*.sweep.json`).
 *
 *   {
 *     "description": "…",
 *     "base":  { …an experiment… },                       // shared by every member
 *     "cases": [ { "name": "2heads", "set": { "train.model.n_heads": 2 } }, … ],   // optional
 *     "grid":  { "train.seed": [1, 2, 3], "dataset.noise.p": [0.1, 0.5] }         // optional
 *   }
 *
 * Members = cases × the Cartesian product of the grid (a missing `cases` is one unnamed case).
 * `set` and grid keys are dotted paths into the experiment; values replace what is there (objects
 * are set whole: `"dataset.noise": {"kind": "token", "p": 0.1}`). A member's name is the case name
 * and the grid values, e.g. `2heads-seed=1`; its full name is `<sweep file>/<member>`, and commands
 * address it as `--config <file>.sweep.json#<member>`. Adding a seed or a level adds members
 * without touching the others', so only the new runs are computed.
 */
import { isPlainObject, parseSection, readJsonFile } from '@sortscope/core/config';
import { ConfigError } from '@sortscope/core/errors';
import { z } from 'zod';

export const SweepSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().default(''),
    base: z.record(z.string(), z.unknown()).default({}).describe('the experiment every member starts from'),
    cases: z
      .array(z.object({ name: z.string().regex(/^[A-Za-z0-9._=+-]+$/, 'letters, digits and . _ = + -'), set: z.record(z.string(), z.unknown()).default({}) }).strict())
      .min(1)
      .optional()
      .describe('named variants, each a set of dotted-path overrides'),
    grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}).describe('dotted path → values; members take every combination'),
  })
  .strict();

export type Sweep = z.output<typeof SweepSchema>;

export interface SweepMember {
  name: string;
  raw: Record<string, unknown>;
}

export const isSweepFile = (name: string): boolean => name.endsWith('.sweep.json');

/**
 * `file.sweep.json#member` → { file, member }; anything else is a plain file, `#` and all (an
 * experiment file may be named `a#b.json`): only a sweep file has members.
 */
export function splitRef(ref: string): { file: string; member?: string } {
  for (let i = ref.indexOf('#'); i >= 0; i = ref.indexOf('#', i + 1)) if (isSweepFile(ref.slice(0, i))) return { file: ref.slice(0, i), member: ref.slice(i + 1) };
  return { file: ref };
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys.at(-1)!] = structuredClone(value);
}

function valueLabel(v: unknown): string {
  if (isPlainObject(v)) return Object.values(v).map(valueLabel).join('-');
  return String(v);
}

export function expandSweep(sweep: Sweep): SweepMember[] {
  const cases = sweep.cases ?? [{ name: '', set: {} }];
  let combos: [string, unknown][][] = [[]];
  for (const [path, values] of Object.entries(sweep.grid)) combos = combos.flatMap((c) => values.map((v) => [...c, [path, v] as [string, unknown]]));
  const members: SweepMember[] = [];
  for (const c of cases) {
    for (const combo of combos) {
      const raw = structuredClone(sweep.base);
      for (const [p, v] of Object.entries(c.set)) setPath(raw, p, v);
      for (const [p, v] of combo) setPath(raw, p, v);
      const gridPart = combo.map(([p, v]) => `${p.split('.').at(-1)}=${valueLabel(v)}`);
      const name = [c.name, ...gridPart].filter(Boolean).join('-') || 'default';
      members.push({ name, raw });
    }
  }
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.name)) throw new ConfigError(`sweep: two members are both named '${m.name}'; give the cases distinct names`);
    seen.add(m.name);
  }
  return members;
}

export function loadSweep(path: string): SweepMember[] {
  return expandSweep(parseSection(SweepSchema, readJsonFile(path), { source: path }));
}
