/**
 * Reading back what the report wrote, for tests: a PNG's size (IHDR) and a GIF's logical screen,
 * frames and delays (walking its blocks as GIF89a defines them, so image data cannot be mistaken
 * for a block).
 */

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function pngInfo(bytes: Uint8Array): { width: number; height: number } {
  if (!PNG_MAGIC.every((b, i) => bytes[i] === b)) throw new Error('pngInfo: not a PNG (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('pngInfo: the first chunk is not IHDR');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

export interface GifInfo {
  width: number;
  height: number;
  frames: number;
  /** per frame, in milliseconds */
  delays: number[];
  loops: boolean;
}

export function gifInfo(bytes: Uint8Array): GifInfo {
  const header = String.fromCharCode(...bytes.subarray(0, 6));
  if (header !== 'GIF89a' && header !== 'GIF87a') throw new Error(`gifInfo: not a GIF (header ${JSON.stringify(header)})`);
  const u16 = (o: number) => bytes[o] | (bytes[o + 1] << 8);
  const info: GifInfo = { width: u16(6), height: u16(8), frames: 0, delays: [], loops: false };
  let p = 13;
  if (bytes[10] & 0x80) p += 3 * (1 << ((bytes[10] & 7) + 1)); // global colour table
  const skipSubBlocks = () => {
    while (bytes[p] !== 0) {
      if (p >= bytes.length) throw new Error('gifInfo: truncated sub-blocks');
      p += bytes[p] + 1;
    }
    p += 1;
  };
  for (;;) {
    const block = bytes[p];
    if (block === 0x3b) return info; // trailer
    if (block === 0x21) {
      const label = bytes[p + 1];
      if (label === 0xf9) info.delays.push(10 * u16(p + 4));
      if (label === 0xff && String.fromCharCode(...bytes.subarray(p + 3, p + 14)) === 'NETSCAPE2.0') info.loops = true;
      p += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      info.frames += 1;
      const packed = bytes[p + 9];
      p += 10;
      if (packed & 0x80) p += 3 * (1 << ((packed & 7) + 1)); // local colour table
      p += 1; // LZW minimum code size
      skipSubBlocks();
    } else throw new Error(`gifInfo: unexpected block 0x${(block ?? 0).toString(16)} at byte ${p}`);
  }
}
