import { describe, expect, it } from 'vitest';
import { encodeGif, padFrame, type RgbaFrame } from './gif.ts';
import { gifInfo } from './image-info.ts';

/** A w × h frame filled with one colour, with a k-pixel black square in the corner. */
function frame(w: number, h: number, rgb: [number, number, number], k: number): RgbaFrame {
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 4 * (y * w + x);
      const c = x < k && y < k ? [0, 0, 0] : rgb;
      rgba.set([...c, 255], o);
    }
  }
  return { width: w, height: h, rgba };
}

describe('encodeGif', () => {
  it('writes a looping GIF89a with one frame per input, its size and the delays (last one held)', () => {
    const frames = [frame(30, 20, [255, 0, 0], 2), frame(30, 20, [0, 255, 0], 4), frame(30, 20, [0, 0, 255], 6)];
    const info = gifInfo(encodeGif(frames, { delayMs: 200, holdMs: 1000 }));
    expect(info).toEqual({ width: 30, height: 20, frames: 3, delays: [200, 200, 1200], loops: true });
  });

  it('is deterministic, and pads smaller frames to the largest', () => {
    const frames = [frame(10, 8, [200, 10, 10], 3), frame(12, 9, [10, 10, 200], 2)];
    const a = encodeGif(frames, { delayMs: 100, holdMs: 0 });
    expect(Buffer.from(encodeGif(frames, { delayMs: 100, holdMs: 0 })).equals(Buffer.from(a))).toBe(true);
    expect(gifInfo(a)).toMatchObject({ width: 12, height: 9, frames: 2 });
    const padded = padFrame(frames[0], 12, 9);
    expect(Array.from(padded.rgba.subarray(0, 4))).toEqual([0, 0, 0, 255]);
    expect(Array.from(padded.rgba.subarray(4 * (12 * 9 - 1)))).toEqual([255, 255, 255, 255]); // bottom-right: white
    expect(Array.from(padded.rgba.subarray(4 * 9, 4 * 10))).toEqual([200, 10, 10, 255]); // row 0, x = 9: the frame
  });

  it('refuses no frames, frames that do not fit and wrong byte counts', () => {
    expect(() => encodeGif([], { delayMs: 100, holdMs: 0 })).toThrow(/no frames/);
    expect(() => padFrame(frame(10, 10, [0, 0, 0], 0), 5, 5)).toThrow(/a 10×10 frame does not fit 5×5/);
    expect(() => padFrame({ width: 2, height: 2, rgba: new Uint8Array(3) }, 2, 2)).toThrow(/3 bytes for a 2×2 RGBA frame, expected 16/);
  });
});
