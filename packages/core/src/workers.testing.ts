// A worker module for workers.test.ts: a seeded number per job.
import { Rng } from './rng.ts';
import { serveJobs } from './workers.ts';

serveJobs<{ seed: number }, number, { scale: number }>((job, init, progress) => {
  if (job.seed < 0) throw new Error(`negative seed ${job.seed}`);
  progress(job.seed);
  return Rng.derive(job.seed, 'pool-test').float() * init.scale;
});
