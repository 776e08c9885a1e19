/**
 * The package plan and the check that holds the code to it (run by boundaries.test.ts in `npm test`).
 *
 * Each package sits on a floor of PLAN; a package may import only packages on lower floors (never
 * one on its own floor, never one above), only through a name its package.json declares in
 * `dependencies`, and only through the entry points the imported package's `exports` lists (no
 * `@sortscope/x/src/...`, no relative path out of its own folder). Scripts outside the packages
 * (scripts/, tools/, bin/) may import any package, through its entry points only. And no file
 * imports itself back through a chain of imports (static, dynamic and type-only imports count).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/** The floors, lowest first. */
export const PLAN: readonly (readonly string[])[] = [
  ['core'],
  ['dataset', 'model', 'cache-server'],
  ['engine'],
  ['train'],
  ['circuits', 'llc'],
  ['report'],
  ['workspace'],
  ['findings'],
  ['cli'],
];

export interface ImportEdge {
  /** the importing file, relative to the root, with / */
  from: string;
  /** the specifier as written */
  spec: string;
  /** the file it resolves to (relative, with /), or null for npm packages */
  to: string | null;
}

export interface Violation {
  file: string;
  spec: string;
  why: string;
}

const SCANNED = /\.(ts|mts|mjs)$/;

/** Every source file the check reads: packages/<p>/{src,scripts}/, scripts/, tools/, bin/. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (SCANNED.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  const packages = join(root, 'packages');
  for (const p of existsSync(packages) ? readdirSync(packages).sort() : []) for (const d of ['src', 'scripts']) walk(join(packages, p, d));
  for (const d of ['scripts', 'tools', 'bin']) walk(join(root, d));
  return out;
}

/** The import specifiers of a source text: import/export … from, bare import, import() and tsx's tsImport(); comments are skipped. */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const forms = /^\s*(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\b(?:import|tsImport)\(\s*['"]([^'"]+)['"]/gm;
  for (const m of code.matchAll(forms)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

interface PackageJson {
  name: string;
  exports?: Record<string, string>;
  dependencies?: Record<string, string>;
}

/** A package's package.json, read once per root and package (a check reads it for every import). */
const packageJsons = new Map<string, PackageJson | null>();
function packageJson(root: string, pkg: string): PackageJson | null {
  const p = join(root, 'packages', pkg, 'package.json');
  if (!packageJsons.has(p)) packageJsons.set(p, existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as PackageJson) : null);
  return packageJsons.get(p)!;
}

/** packages/<p>/… → p; anything else (scripts/, tools/, bin/) → null */
export const packageOf = (file: string): string | null => /^packages\/([^/]+)\//.exec(file)?.[1] ?? null;

const floorOf = (pkg: string): number => PLAN.findIndex((f) => f.includes(pkg));

/** Check every import of every source file under root; returns the edges (for the cycle check) and the violations. */
export function checkImports(root: string): { edges: ImportEdge[]; violations: Violation[] } {
  const edges: ImportEdge[] = [];
  const violations: Violation[] = [];
  const bad = (file: string, spec: string, why: string) => violations.push({ file, spec, why });
  for (const file of sourceFiles(root)) {
    const mine = packageOf(file);
    const declared = mine ? Object.keys(packageJson(root, mine)?.dependencies ?? {}) : null;
    if (mine && floorOf(mine) < 0) bad(file, '', `package '${mine}' is not in the plan (tools/boundaries.ts PLAN)`);
    for (const spec of importSpecifiers(readFileSync(join(root, file), 'utf8'))) {
      if (spec.startsWith('.')) {
        const to = normalize(join(dirname(file), spec)).split(sep).join('/');
        if (!existsSync(join(root, to))) bad(file, spec, 'no such file');
        else if (packageOf(to) !== mine) bad(file, spec, `a relative import out of ${mine ? `package '${mine}'` : 'its folder'}: import '@sortscope/${packageOf(to) ?? '?'}' instead`);
        edges.push({ from: file, spec, to });
        continue;
      }
      const m = /^@sortscope\/([^/]+)(\/.*)?$/.exec(spec);
      if (!m) {
        edges.push({ from: file, spec, to: null });
        continue;
      }
      const [, target, sub] = m;
      const pj = packageJson(root, target);
      if (!pj) {
        bad(file, spec, `no package '${target}' under packages/`);
        continue;
      }
      const entry = pj.exports?.[`.${sub ?? ''}`];
      if (!entry) bad(file, spec, `'${target}' does not export '.${sub ?? ''}' (its package.json exports: ${Object.keys(pj.exports ?? {}).join(', ')})`);
      if (mine && target !== mine) {
        if (!declared!.includes(spec.split('/').slice(0, 2).join('/'))) bad(file, spec, `'${mine}' does not declare @sortscope/${target} in its package.json dependencies`);
        const [a, b] = [floorOf(mine), floorOf(target)];
        if (a >= 0 && b >= 0 && b >= a) bad(file, spec, `'${mine}' (floor ${a}) may not import '${target}' (floor ${b}): ${b === a ? 'sideways' : 'upward'}`);
      }
      edges.push({ from: file, spec, to: entry ? `packages/${target}/${normalize(entry).split(sep).join('/')}` : null });
    }
  }
  return { edges, violations };
}

/** Declared dependencies against the plan: every @sortscope dependency in a package.json is on a lower floor. */
export function checkDeclared(root: string): Violation[] {
  const out: Violation[] = [];
  for (const floor of PLAN)
    for (const pkg of floor) {
      const pj = packageJson(root, pkg);
      if (!pj) continue;
      for (const dep of Object.keys(pj.dependencies ?? {})) {
        const m = /^@sortscope\/(.+)$/.exec(dep);
        if (m && floorOf(m[1]) >= floorOf(pkg)) out.push({ file: `packages/${pkg}/package.json`, spec: dep, why: `'${pkg}' may not depend on '${m[1]}' (not on a lower floor)` });
      }
    }
  return out;
}

/** Import cycles between files (strongly connected components of more than one file, or a file importing itself). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) if (e.to) (next.get(e.from) ?? next.set(e.from, new Set()).get(e.from)!).add(e.to);
  // Tarjan's algorithm, iterative over the files in order
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next.get(v)?.has(v)) cycles.push(scc.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!idx.has(v)) connect(v);
  return cycles;
}
