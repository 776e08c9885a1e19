/** Test helper: a gzip'd tar archive of `files` (path → content), as Nx's client would upload. */
import { gzipSync } from 'node:zlib';

function header(path: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  // a path longer than 100 bytes goes as ustar does it: prefix (at 345, ≤ 155) + '/' + name (≤ 100)
  const cut = path.length > 100 ? path.lastIndexOf('/') : -1;
  const [prefix, name] = cut > 0 ? [path.slice(0, cut), path.slice(cut + 1)] : ['', path];
  if (name.length > 100 || prefix.length > 155) throw new Error(`tarGz: ${path} does not fit a ustar header`);
  h.write(name, 0, 100, 'latin1');
  h.write(prefix, 345, 155, 'latin1');
  h.write('0000644\0', 100, 'latin1'); // mode
  h.write('0000000\0', 108, 'latin1'); // uid
  h.write('0000000\0', 116, 'latin1'); // gid
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1'); // mtime
  h.write('        ', 148, 'latin1'); // checksum, as spaces while summing
  h.write('0', 156, 'latin1'); // a regular file
  h.write('ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

export function tarGz(files: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    parts.push(header(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024)); // two end blocks
  return gzipSync(Buffer.concat(parts));
}
