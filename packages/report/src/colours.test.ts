import { describe, expect, it } from 'vitest';
import { fnv1a, homeSlot, PALETTE, stableColours } from './colours.ts';

describe('stable experiment colours', () => {
  it('FNV-1a matches its published test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('an experiment keeps its colour when others are added (no collision with it)', () => {
    const before = ['baseline', 'permute-p1', 'replace-out-p05'];
    const colours = stableColours(before);
    expect(new Set(colours).size).toBe(3);
    // add names whose home slots differ from every existing one's
    const used = new Set(before.map(homeSlot));
    const extra = Array.from({ length: 200 }, (_, i) => `extra-${i}`).filter((n) => !used.has(homeSlot(n)) && used.add(homeSlot(n))).slice(0, 4);
    expect(extra.length).toBe(4);
    const after = stableColours([...extra.slice(0, 2), ...before, ...extra.slice(2)]);
    expect(after.slice(2, 5)).toEqual(colours);
  });

  it('names sharing a home slot get different colours; the earlier name in sort order keeps its home', () => {
    const names = Array.from({ length: 100 }, (_, i) => `run-${i}`);
    const a = names[0];
    const b = names.find((n) => n !== a && homeSlot(n) === homeSlot(a))!;
    const [ca, cb] = stableColours([a, b]);
    expect(ca).not.toBe(cb);
    expect([a, b].sort()[0] === a ? ca : cb).toBe(PALETTE[homeSlot(a)]);
  });

  it('up to 10 names get distinct strong colours, up to 20 distinct colours; duplicates share one', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `seed=${i}`);
    expect(new Set(stableColours(ten)).size).toBe(10);
    expect(stableColours(ten).every((c) => PALETTE.indexOf(c) < 10)).toBe(true);
    const names = Array.from({ length: 20 }, (_, i) => `seed=${i}`);
    expect(new Set(stableColours(names)).size).toBe(20);
    expect(new Set(stableColours([...names, 'one-more'])).size).toBe(20);
    const c = stableColours(['x', 'y', 'x']);
    expect(c[0]).toBe(c[2]);
  });
});
