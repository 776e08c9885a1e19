/**
 * Progress for long work: a bar redrawn in place on a terminal, or a periodic line
 * (every `everyMs`, default 5 s) when stderr is a file or a pipe (CI, Nx), each with the
 * rate and the ETA. `quiet` (or SORTSCOPE_QUIET=1) silences it.
 *   train   1200/7325 steps  [#####.........]  16.4 steps/s  ETA 6m13s  loss 0.0412
 *
 * The rate counts only the work done in this process, from the first update(): a resumed run
 * reports the position it resumes from first (train: `update(state.step)`), a fresh one 0.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  quiet?: boolean;
  everyMs?: number;
  stream?: NodeJS.WriteStream;
  /** clock, for tests */
  now?: () => number;
}

export function isQuiet(flag?: boolean): boolean {
  return flag === true || process.env.SORTSCOPE_QUIET === '1';
}

export class Progress {
  private readonly start: number;
  /** the first update: where (and when) this process started counting work */
  private from: { done: number; t: number } | null = null;
  private lastPrint = -Infinity;
  private readonly tty: boolean;
  private readonly opts: Required<Omit<ProgressOptions, 'stream'>> & { stream: NodeJS.WriteStream };
  done = 0;

  constructor(opts: ProgressOptions) {
    this.opts = { unit: 'steps', quiet: false, everyMs: 5000, stream: process.stderr, now: () => performance.now(), ...opts };
    this.opts.quiet = isQuiet(this.opts.quiet);
    this.tty = Boolean(this.opts.stream.isTTY);
    this.start = this.opts.now();
  }

  /** Record that `done` units are complete; print if it is time. */
  update(done: number, extra = ''): void {
    this.done = done;
    const t = this.opts.now();
    this.from ??= { done, t };
    if (this.opts.quiet) return;
    if (t - this.lastPrint < (this.tty ? 200 : this.opts.everyMs)) return;
    this.lastPrint = t;
    this.write(this.line(t, extra), false);
  }

  /** More work than announced (e.g. chains lengthened until they converge): the total grows by `more`. */
  extend(more: number): void {
    this.opts.total += more;
  }

  /** Print the final line (always, unless quiet). */
  finish(extra = ''): void {
    if (this.opts.quiet) return;
    this.write(this.line(this.opts.now(), extra), true);
  }

  /** The status line for the current state (exported for tests). */
  line(t: number, extra = ''): string {
    const { label, total, unit } = this.opts;
    const elapsed = (t - this.start) / 1000;
    const from = this.from ?? { done: 0, t: this.start };
    const working = (t - from.t) / 1000;
    const rate = working > 0 ? (this.done - from.done) / working : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const width = 20;
    const filled = total > 0 ? Math.round((width * this.done) / total) : width;
    const bar = this.tty ? ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : '';
    const timing = this.done >= total ? `in ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`;
    return `${label.padEnd(8)} ${this.done}/${total} ${unit}${bar}  ${formatRate(rate)} ${unit}/s  ${timing}${extra ? `  ${extra}` : ''}`;
  }

  private write(line: string, final: boolean): void {
    if (this.tty) this.opts.stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else this.opts.stream.write(`${line}\n`);
  }
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  // rounded before it is split, so that 59.6 s reads 1m00s, not 60s or 0m60s
  if (seconds < 9.95) return `${seconds.toFixed(1)}s`;
  if (seconds < 59.5) return `${seconds.toFixed(0)}s`;
  const whole = Math.round(seconds);
  const m = Math.floor(whole / 60);
  if (m < 60) return `${m}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A message to stderr unless quiet. */
export function log(message: string, quiet?: boolean): void {
  if (!isQuiet(quiet)) process.stderr.write(`${message}\n`);
}
