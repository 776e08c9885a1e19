// A worker module for workers.test.ts: a seeded number per job.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';
import { Rng } from './rng.ts';
import { serveJobs } from './workers.ts';

serveJobs<{ seed: number }, number, { scale: number }>((job, init, progress) => {
  if (job.seed === -2) throw new ConfigError('llc.batch_size: got 900; expected at most the 710 training rows');
  if (job.seed === -3) readFileSync('/'); // EISDIR: a system error with a code and a path
  if (job.seed < 0) throw new Error(`negative seed ${job.seed}`);
  progress(job.seed);
  return Rng.derive(job.seed, 'pool-test').float() * init.scale;
});
