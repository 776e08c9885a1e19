import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from './progress.ts';

describe('Progress', () => {
  it('reports done/total, rate and ETA', () => {
    let t = 0;
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const p = new Progress({ label: 'train', total: 100, stream, now: () => t, everyMs: 1000, quiet: false });
    p.update(0); // a fresh run starts at 0
    expect(lines[0]).toBe('train    0/100 steps  0.00 steps/s  ETA ?\n');
    t = 2000;
    p.update(20, 'loss 0.5');
    expect(lines[1]).toBe('train    20/100 steps  10.0 steps/s  ETA 8.0s  loss 0.5\n');
    t = 2500;
    p.update(25);
    expect(lines).toHaveLength(2); // throttled
    t = 10000;
    p.update(100);
    p.finish();
    expect(lines.at(-1)).toMatch(/100\/100 steps {2}10\.0 steps\/s {2}in 10s/);
  });
  it('counts the rate from the position a resumed run starts at, not from 0', () => {
    let t = 0;
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const p = new Progress({ label: 'train', total: 5000, stream, now: () => t, everyMs: 1000, quiet: false });
    t = 0.007; // resumed at step 4000 microseconds later (the rate was 4000 steps / 7 µs, ETA 0.0s)
    p.update(4000);
    expect(lines[0]).toBe('train    4000/5000 steps  0.00 steps/s  ETA ?\n');
    t = 2000;
    p.update(4020);
    expect(lines[1]).toBe('train    4020/5000 steps  10.0 steps/s  ETA 1m38s\n');
    t = 100_000;
    p.update(5000);
    p.finish();
    expect(lines.at(-1)).toBe('train    5000/5000 steps  10.0 steps/s  in 1m40s\n');
  });
  it('is silent when quiet', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const p = new Progress({ label: 'x', total: 1, stream, quiet: true });
    p.update(1);
    p.finish();
    expect(lines).toEqual([]);
  });
  it('formats durations', () => {
    expect(formatDuration(5.25)).toBe('5.3s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(7322)).toBe('2h02m');
    expect(formatDuration(Infinity)).toBe('?');
    // rounding never shows 60 in a place that counts to 59
    expect(formatDuration(9.97)).toBe('10s');
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(179.6)).toBe('3m00s');
    expect(formatDuration(3599.6)).toBe('1h00m');
  });
});
