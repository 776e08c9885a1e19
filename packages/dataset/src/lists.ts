/**
 * Drawing clean sorting sequences `a_1 … a_n SEP b_1 … b_n` (b = a sorted ascending).
 *
 * - distinct, uniform gaps: a is a uniformly random ordered sample of n distinct numbers
 *   (partial Fisher–Yates over the range), as ARENA's generator;
 * - with repeats: a_i i.i.d. uniform over the range;
 * - tilted gaps: the set is drawn from the tilted distribution (gaps.ts), then shuffled;
 * - circular-tilted gaps: the set is drawn as a cluster on the circle of numbers
 *   (circular-gaps.ts), then shuffled.
 */
import type { Rng } from '@sortscope/core';
import type { DatasetConfig, Vocab } from './schema.ts';
import { type CircularTilt, circularTiltForMeanGap, sampleCircular } from './circular-gaps.ts';
import { sampleTilted, type SpanDistribution, tiltForMeanGap } from './gaps.ts';

export interface ListSampler {
  /** write one clean sequence (2n + 1 tokens) into `seq` */
  draw(rng: Rng, seq: Uint8Array): void;
  /** the tilt, when gaps are tilted or circular-tilted */
  tilt?: SpanDistribution | CircularTilt;
}

export function listSampler(config: DatasetConfig, vocab: Vocab): ListSampler {
  const { n, range, min_number, sep } = vocab;
  const pool = new Uint8Array(range);
  const sorted = new Uint8Array(n);
  const finish = (seq: Uint8Array): void => {
    sorted.set(seq.subarray(0, n));
    sorted.sort();
    seq[n] = sep;
    seq.set(sorted, n + 1);
  };
  if (config.gaps.kind === 'tilted' || config.gaps.kind === 'circular-tilted') {
    // draw the set from the tilt, then shuffle it into the input order
    let tilt: SpanDistribution | CircularTilt;
    let sample: (rng: Rng) => void;
    if (config.gaps.kind === 'circular-tilted') {
      const t = circularTiltForMeanGap(n, range, config.gaps.mean_gap);
      [tilt, sample] = [t, (rng) => sampleCircular(t, min_number, rng, sorted)];
    } else {
      const t = tiltForMeanGap(n, range, config.gaps.mean_gap);
      [tilt, sample] = [t, (rng) => sampleTilted(t, min_number, rng, sorted)];
    }
    return {
      tilt,
      draw(rng, seq) {
        sample(rng);
        seq.set(sorted, 0);
        rng.shuffle(seq.subarray(0, n));
        finish(seq);
      },
    };
  }
  if (!config.distinct) {
    return {
      draw(rng, seq) {
        for (let i = 0; i < n; i++) seq[i] = min_number + rng.int(range);
        finish(seq);
      },
    };
  }
  return {
    draw(rng, seq) {
      for (let i = 0; i < range; i++) pool[i] = min_number + i;
      for (let i = 0; i < n; i++) {
        const j = i + rng.int(range - i);
        const t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
      }
      seq.set(pool.subarray(0, n), 0);
      finish(seq);
    },
  };
}

/** The key of a sequence's number set (its sorted half), for disjointness checks. */
export function setKey(seq: Uint8Array, n: number): string {
  return String.fromCharCode(...seq.subarray(n + 1, 2 * n + 1));
}
