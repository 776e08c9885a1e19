/** Worker thread of gifs.ts: renders one heatmap GIF per job (render.ts). */
import { serveJobs } from '@sortscope/core';
import type { GifJob } from './gifs.ts';
import { renderHeatmapGif } from './render.ts';

serveJobs<GifJob, Uint8Array, null>(async (job) => (await renderHeatmapGif(job.spec, job.frames, job.opts)).gif);
