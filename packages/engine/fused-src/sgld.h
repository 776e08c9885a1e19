/*
 * The SGLD step of an LLC chain inside the engine (MODE_SGLD): after the loss and gradient at w,
 * one pass over the sampled coordinates k (i = idx[k], or k) — the reference is
 * packages/llc/src/chain-step.ts `chainStep`, with the tilt of packages/llc/src/tilt.ts:
 *
 *   gt[i]   = grad[i] − g0[i]   (float32; g0 = ∇L_n(w0), the tilt; without it gt = grad)
 *   g[k]    = nβ·gt[i] + γ·(w[i] − w0[i]) + λ_wd·w[i]                        (float64)
 *   slope  += g0[i]·(w[i] − w0[i]),  dist2 += (w[i] − w0[i])²,  wd2 += w[i]²   (before the step)
 *   w[i]   ← w[i] − (ε/2)·P[k]·g[k] + sqrt(ε)·σ·sqrt(P[k])·ξ_k                 (float32 store)
 *   d2     += step²,  z2 += noise²
 *
 * (P = 1 without a preconditioner, ξ = 0 without noise.) Every sum runs over fixed blocks of
 * SUM_BLOCK coordinates, each block in order, and the block sums are added in block order by
 * thread 0: the numbers do not depend on the thread count, and chain-step.ts sums the same way,
 * so they are bit for bit the reference's. No fused multiply-add: wasm has none outside relaxed
 * SIMD, so clang contracts nothing here.
 *
 * The ziggurat's fast path (packages/core/src/ziggurat.ts) is here too: xoshiro128** outputs
 * (packages/core/src/rng.ts), one per deviate, and z = (u >>> 9)·XS[u & 255] inside the layer's
 * rectangle; the ≈ 1.5% of deviates that need the tail or a wedge are listed, in order, and
 * finished in JavaScript (their exp and log must be V8's), which then continues the stream.
 */

#define SUM_BLOCK 4096
#define STEP_SUMS 5 /* dist2, wd2, d2, z2, slope */

typedef struct {
  const float *w0, *g0; /* g0 = 0: no tilt */
  const unsigned *idx;  /* 0: every coordinate */
  int m;
  const double *P, *Ps; /* the preconditioner and its square root, or 0 */
  const double *xi;     /* standard normal deviates [m], or 0: no noise */
  double nbeta, gamma, wd, half, scale;
  double *g, *before;   /* the drift and w before the step [m] (for the MALA acceptance), or 0 */
  double *parts;        /* [blocks][STEP_SUMS] */
  double sums[STEP_SUMS];
} Step;

static Step step;

/* sum blocks of m sampled coordinates */
static inline int step_blocks(int m) { return (m + SUM_BLOCK - 1) / SUM_BLOCK; }

NOINLINE static void step_block(float *w, const float *grad, int b) {
  const Step *s = &step;
  const int k0 = b * SUM_BLOCK, k1 = imin(s->m, k0 + SUM_BLOCK);
  const unsigned *idx = s->idx;
  const float *w0 = s->w0, *g0 = s->g0;
  const double *P = s->P, *Ps = s->Ps, *xi = s->xi;
  const double nbeta = s->nbeta, gamma = s->gamma, wd = s->wd, half = s->half, scale = s->scale;
  double dist2 = 0, wd2 = 0, d2 = 0, z2 = 0, slope = 0;
  for (int k = k0; k < k1; k++) {
    const int i = idx ? (int)idx[k] : k;
    const double wi = w[i], d = wi - (double)w0[i];
    const float gt = g0 ? grad[i] - g0[i] : grad[i];
    const double gk = nbeta * (double)gt + gamma * d + wd * wi;
    if (s->g) s->g[k] = gk, s->before[k] = wi;
    dist2 += d * d;
    if (wd != 0) wd2 += wi * wi;
    if (g0) slope += (double)g0[i] * d;
    const double st = P ? half * P[k] * gk : half * gk;
    const double z = xi ? (Ps ? scale * Ps[k] * xi[k] : scale * xi[k]) : 0;
    w[i] = (float)(wi - st + z);
    d2 += st * st;
    z2 += z * z;
  }
  double *out = s->parts + b * STEP_SUMS;
  out[0] = dist2, out[1] = wd2, out[2] = d2, out[3] = z2, out[4] = slope;
}

/* the step of io's chain (its params are w, its grad the gradient) by threads tid of T: blocks tid, tid + T, … */
static int run_step(Io *io, int tid, int T) {
  const int nb = step_blocks(step.m);
  for (int b = tid; b < nb; b += T) step_block((float *)io->params, io->grad, b);
  if (barrier(T, tid)) return 1;
  if (tid == 0)
    for (int j = 0; j < STEP_SUMS; j++) {
      double s = 0;
      for (int b = 0; b < nb; b++) s += step.parts[b * STEP_SUMS + j];
      step.sums[j] = s;
    }
  return 0;
}

/* ---- the ziggurat's fast path ---- */

static inline unsigned rotl32(unsigned x, int k) { return (x << k) | (x >> (32 - k)); }

/*
 * n deviates into out from the xoshiro128** state st[4] (advanced by n outputs); the index of each
 * deviate the fast test could not decide goes to slow (in order) and its draw stays in u[k].
 * Returns the number of such deviates. XS[i] = X[i]/2^23 and X[i] are ziggurat.ts's tables.
 */
static int zig_fast(unsigned *st, unsigned *u, double *out, int n, const double *XS, const double *X, int *slow) {
  unsigned s0 = st[0], s1 = st[1], s2 = st[2], s3 = st[3];
  for (int k = 0; k < n; k++) {
    u[k] = rotl32(s1 * 5, 7) * 9;
    const unsigned t = s1 << 9;
    s2 ^= s0, s3 ^= s1, s1 ^= s2, s0 ^= s3, s2 ^= t, s3 = rotl32(s3, 11);
  }
  st[0] = s0, st[1] = s1, st[2] = s2, st[3] = s3;
  int ns = 0;
  for (int k = 0; k < n; k++) {
    const unsigned uk = u[k];
    const int i = (int)(uk & 255);
    const double z = (double)(uk >> 9) * XS[i];
    if (z < X[i + 1]) out[k] = z * (double)(1 - (int)((uk >> 7) & 2));
    else slow[ns++] = k;
  }
  return ns;
}
