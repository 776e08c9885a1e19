/**
 * The PyTorch side of `sortscope bench --torch PYTHON`: runs ../../bench/torch_reference.py (the
 * baseline model in plain PyTorch, timed per batch size: train, sgld, grad, forward) with the given
 * Python interpreter in a child process, forwards its progress lines (stderr), checks the one
 * line of JSON it prints last on stdout, and lays its ms beside ours as markdown tables.
 * Every failure is a ConfigError (exit code 2) naming --torch and the interpreter.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@sortscope/core/errors';
import { z } from 'zod';

export const TORCH_KINDS = ['train', 'sgld', 'grad', 'forward'] as const;
export type TorchKind = (typeof TORCH_KINDS)[number];

export interface TorchTimes {
  torch: string;
  python: string;
  threads: number;
  /** ms per step by batch size ("64") and kind */
  batches: Record<string, Record<TorchKind, number>>;
}

/** absolute path of the PyTorch script */
export const TORCH_SCRIPT = fileURLToPath(new URL('../../bench/torch_reference.py', import.meta.url));

/** stderr lines kept for error messages */
const TAIL = 8;

/** a required value that is absent reads "missing" rather than "expected …, received undefined" */
const present = { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'missing' : undefined) };

function resultSchema(batches: number[]) {
  const ms = z.number(present).positive('not a positive number');
  const kinds = z.object(Object.fromEntries(TORCH_KINDS.map((k) => [k, ms])) as Record<TorchKind, typeof ms>, present);
  return z.object({
    torch: z.string(present),
    python: z.string(present),
    threads: z.int(present).positive('not a positive integer'),
    batches: z.object(Object.fromEntries(batches.map((b) => [String(b), kinds])), present),
  });
}

/** ['batches', '512', 'sgld'] → "batch 512 sgld" */
function where(path: PropertyKey[]): string {
  if (path[0] === 'batches' && path.length > 1) return ['batch', ...path.slice(1).map(String)].join(' ');
  return path.map(String).join('.');
}

/** the refusals shared by checkTorch and runTorchReference */
const cannotRun = (python: string, err: NodeJS.ErrnoException) => new ConfigError(err.code === 'ENOENT' ? `--torch: cannot run ${python}: not found` : `--torch: cannot run ${python}: ${err.message}`);
const noTorch = (python: string, why: string) => new ConfigError(`--torch: ${python} has no torch (cannot import torch: ${why})`);

/**
 * Fail fast, before minutes of benchmarking: can `python` start and import torch? Returns torch's
 * version; throws the same ConfigErrors as runTorchReference.
 */
export function checkTorch(python: string): string {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw cannotRun(python, r.error);
  if (r.status !== 0) throw noTorch(python, (r.stderr ?? '').trim().split('\n').pop() || `exit code ${r.status}`);
  return r.stdout.trim();
}

/**
 * Run torch_reference.py with `python` and return its medians (ms per step).
 * @param opts.batches batch sizes; opts.reps timed steps per median; opts.threads torch threads [2];
 *   opts.scoredOnly: the script's last layer only at the scored positions, as our engines (default: everywhere, as a
 *   PyTorch user would write it); opts.check: a fixture folder (fixtures/arena-sorted-list) on which the script
 *   must first reproduce the golden loss and accuracy (exit 4 otherwise); opts.onLine gets each progress line of the script (its stderr)
 */
export async function runTorchReference(
  python: string,
  opts: { batches: number[]; reps: number; threads?: number; scoredOnly?: boolean; check?: string; onLine?: (s: string) => void },
): Promise<TorchTimes> {
  const { batches, reps, threads = 2 } = opts;
  if (!batches.length || batches.some((b) => !Number.isInteger(b) || b < 1)) throw new ConfigError(`--torch: batch sizes must be positive integers, got [${batches.join(', ')}]`);
  if (!Number.isInteger(reps) || reps < 1) throw new ConfigError(`--torch: reps must be a positive integer, got ${reps}`);
  if (!Number.isInteger(threads) || threads < 1) throw new ConfigError(`--torch: threads must be a positive integer, got ${threads}`);
  const args = [TORCH_SCRIPT, '--batches', batches.join(','), '--reps', String(reps), '--threads', String(threads), ...(opts.scoredOnly ? ['--scored-only'] : []), ...(opts.check ? ['--check', opts.check] : [])];

  const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  let stdout = '';
  let partial = '';
  const tail: string[] = [];
  const line = (s: string) => {
    tail.push(s);
    if (tail.length > TAIL) tail.shift();
    opts.onLine?.(s);
  };
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    const lines = (partial + s).split('\n');
    partial = lines.pop()!;
    for (const l of lines) line(l.replace(/\r$/, ''));
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => reject(cannotRun(python, err)));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  if (partial) line(partial.replace(/\r$/, ''));

  if (code === 3) {
    const why = tail.map((l) => /cannot import torch \((.*)\)\s*$/.exec(l)?.[1]).find((m) => m !== undefined);
    throw noTorch(python, why ?? (tail.join(' | ') || 'exit code 3'));
  }
  if (code === 4) {
    const why = tail.find((l) => /ARENA check:/.test(l)) ?? tail.join(' | ');
    throw new ConfigError(`--torch: the PyTorch reference does not reproduce the ARENA checkpoint's golden numbers, so its times are not of sortscope's model (${why.replace(/^torch_reference\.py: /, '')})`);
  }
  if (code !== 0) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    throw new ConfigError(`--torch: ${python} torch_reference.py ${how}${tail.length ? `; last lines on stderr:\n  ${tail.join('\n  ')}` : ' (nothing on stderr)'}`);
  }

  const last = stdout.trimEnd().split('\n').pop()?.trim() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(last);
  } catch {
    throw new ConfigError(`--torch: ${python} printed no JSON result on its last stdout line (got ${last ? JSON.stringify(last.slice(0, 200)) : 'nothing'})`);
  }
  const parsed = resultSchema(batches).safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${where(i.path)}: ${i.message}`);
    throw new ConfigError(`--torch: the result of ${python} is incomplete or invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * Markdown tables, one per batch size that both have (each followed by an empty line):
 * kind | PyTorch ms | `label` ms | PyTorch/`label`, for the kinds both have a time for.
 * @param ours ms per step keyed [batch][kind]
 */
const ROWS: [string, TorchKind][] = [['train', 'train'], ['sgld', 'sgld'], ['sgld-zig', 'sgld'], ['grad', 'grad'], ['forward', 'forward']];

export function ratioRows(ours: Record<string, Record<string, number>>, torch: TorchTimes, label: string): string[] {
  const lines: string[] = [];
  const sizes = Object.keys(torch.batches)
    .filter((b) => ours[b])
    .sort((a, b) => Number(a) - Number(b));
  for (const b of sizes) {
    const rows: string[] = [];
    // ours' sgld-zig (the ziggurat noise stream) against PyTorch's one SGLD step (torch.randn)
    for (const [kind, tk] of ROWS) {
      const t = torch.batches[b][tk];
      const o = ours[b][kind];
      if (!(t > 0 && o > 0 && Number.isFinite(t) && Number.isFinite(o))) continue;
      rows.push(`| ${kind} | ${t.toFixed(2)} | ${o.toFixed(2)} | ${(t / o).toFixed(2)}× |`);
    }
    if (rows.length) lines.push(`| batch ${b} | PyTorch ms | ${label} ms | PyTorch/${label} |`, '|---|---:|---:|---:|', ...rows, '');
  }
  return lines;
}
