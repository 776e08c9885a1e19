/** Helpers shared by the dataset tests. */
import { type DatasetConfig, DatasetConfigSchema } from './schema.ts';

export function config(over: Record<string, unknown> = {}): DatasetConfig {
  return DatasetConfigSchema.parse({ n_train: 2000, n_validation: 200, n_test: 200, ...over });
}

/** |observed fraction − p| is within z binomial standard errors. */
export function withinBinomial(count: number, trials: number, p: number, z = 4): boolean {
  return Math.abs(count / trials - p) <= z * Math.sqrt(Math.max(p * (1 - p), 1e-12) / trials) + 1e-12;
}

/**
 * Estimate of H(Y_t | visible input, Y_<t) per output position from generated sequences: the
 * Monte Carlo check of the Bayes-loss formulas. Plug-in entropy per context with the
 * Miller–Madow correction (+ (m − 1)/(2N) for m observed values in N samples), which removes the
 * plug-in estimator's first-order downward bias when contexts are seen only tens of times.
 */
export function empiricalConditionalEntropy(tokens: Uint8Array, rows: number, n: number): number[] {
  const seqLen = 2 * n + 1;
  const H: number[] = [];
  for (let t = 0; t < n; t++) {
    const counts = new Map<string, Map<number, number>>();
    for (let r = 0; r < rows; r++) {
      const row = tokens.subarray(r * seqLen, (r + 1) * seqLen);
      const ctx = String.fromCharCode(...row.subarray(0, n + 1 + t));
      const next = row[n + 1 + t];
      let m = counts.get(ctx);
      if (!m) counts.set(ctx, (m = new Map()));
      m.set(next, (m.get(next) ?? 0) + 1);
    }
    let h = 0;
    for (const m of counts.values()) {
      let total = 0;
      for (const c of m.values()) total += c;
      for (const c of m.values()) h -= (c / rows) * Math.log(c / total);
      h += (m.size - 1) / (2 * rows);
    }
    H.push(h);
  }
  return H;
}
