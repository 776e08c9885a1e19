/**
 * The copier of each number token at one checkpoint: copier[t] = the head h whose OV circuit copies
 * t (its `copies` row holds t, circuits §specialisation), or −1 when no head does. A module of its
 * own, with no Arrow or engine import, so that `sortscope findings` can print without loading them.
 */
import type { SpecialisationRecord } from './analyse.ts';

/** copier[t] per (step, layer) from the specialisation rows: the head whose `copies` holds t, or −1. */
export function copierFromRecords(records: (SpecialisationRecord & { step: number })[], step: number, layer: number): Int32Array {
  const heads = records.filter((r) => r.step === step && r.layer === layer);
  const n = heads[0]?.copies.length ?? 0;
  return Int32Array.from({ length: n }, (_, t) => heads.find((r) => r.copies[t])?.head ?? -1);
}
