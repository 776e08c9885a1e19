/**
 * Animated GIF from RGBA frames (gifenc): one 256-colour palette for the whole animation,
 * quantised from the first, middle and last frames together, so that a colour does not flicker
 * between frames; frames smaller than the largest are padded with white at the bottom and right.
 * Loops forever; `holdMs` is added to the last frame's delay.
 */
import { createRequire } from 'node:module';
import { ShapeError } from '@sortscope/core';

// gifenc's CommonJS build, required as such: Node's ESM loader finds no named exports in it and a
// bundler (vitest) would pick its ESM build instead; this way every caller gets the same code
const gifenc = createRequire(import.meta.url)('gifenc') as typeof import('gifenc');

export interface RgbaFrame {
  width: number;
  height: number;
  /** [height, width, 4] row-major */
  rgba: Uint8Array;
}

/** `frame` on a white canvas of width × height (top-left aligned). */
export function padFrame(frame: RgbaFrame, width: number, height: number): RgbaFrame {
  if (frame.rgba.length !== frame.width * frame.height * 4) throw new ShapeError(`padFrame: ${frame.rgba.length} bytes for a ${frame.width}×${frame.height} RGBA frame, expected ${frame.width * frame.height * 4}`);
  if (frame.width === width && frame.height === height) return frame;
  if (frame.width > width || frame.height > height) throw new ShapeError(`padFrame: a ${frame.width}×${frame.height} frame does not fit ${width}×${height}`);
  const out = new Uint8Array(width * height * 4).fill(255);
  for (let y = 0; y < frame.height; y++) out.set(frame.rgba.subarray(y * frame.width * 4, (y + 1) * frame.width * 4), y * width * 4);
  return { width, height, rgba: out };
}

export function encodeGif(frames: RgbaFrame[], opts: { delayMs: number; holdMs: number }): Uint8Array {
  if (frames.length === 0) throw new ShapeError('encodeGif: no frames');
  const width = Math.max(...frames.map((f) => f.width));
  const height = Math.max(...frames.map((f) => f.height));
  const padded = frames.map((f) => padFrame(f, width, height));
  const sample = [...new Set([0, Math.floor((padded.length - 1) / 2), padded.length - 1])].map((i) => padded[i].rgba);
  const joined = new Uint8Array(sample.reduce((n, s) => n + s.length, 0));
  let off = 0;
  for (const s of sample) {
    joined.set(s, off);
    off += s.length;
  }
  const palette = gifenc.quantize(joined, 256);
  const gif = gifenc.GIFEncoder();
  padded.forEach((f, i) => {
    const delay = opts.delayMs + (i === padded.length - 1 ? opts.holdMs : 0);
    gif.writeFrame(gifenc.applyPalette(f.rgba, palette), width, height, i === 0 ? { palette, delay, repeat: 0 } : { delay });
  });
  gif.finish();
  return gif.bytes();
}
