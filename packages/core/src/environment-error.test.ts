import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic.ts';
import { environmentError } from './environment-error.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('env-error');

/** The error `f` throws. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const sys = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${code}: …`), { code, ...extra });

describe('environmentError', () => {
  it('says each failure of the machine in one line that names the path, with its exit code', () => {
    const cases: [Error, RegExp, number][] = [
      [sys('ENOSPC', { syscall: 'write', path: '/a/ckpt.arrow' }), /^no space left on the device while writing \/a\/ckpt\.arrow: free some space .*rerun the same command/, 3],
      [sys('EROFS', { syscall: 'open', path: '/ro/x' }), /^\/ro\/x is on a read-only file system/, 3],
      [sys('EACCES', { syscall: 'open', path: '/p/x' }), /^permission denied \(open\) on \/p\/x/, 3],
      [sys('EPERM', { syscall: 'rename', path: '/p/a', dest: '/p/b' }), /^permission denied \(rename\) on \/p\/a → \/p\/b/, 3],
      [sys('EEXIST', { syscall: 'link', path: '/p/.lock.tmp', dest: '/p/.lock' }), /^\/p\/\.lock\.tmp → \/p\/\.lock already exists/, 3],
      [sys('EMFILE', { syscall: 'open', path: '/p/f' }), /too many open files .*ulimit -n/, 3],
      [sys('EADDRINUSE', { syscall: 'listen', address: '127.0.0.1', port: 8181 }), /^cannot listen on 127\.0\.0\.1:8181: another process uses that port; choose another --port$/, 2],
      [sys('ENOTFOUND', { syscall: 'getaddrinfo', hostname: 'cache.invalid' }), /^cannot resolve the host cache\.invalid/, 2],
      [sys('ECONNREFUSED', { address: '127.0.0.1', port: 9 }), /^nothing listens at 127\.0\.0\.1:9/, 2],
      [Object.assign(new RangeError('Array buffer allocation failed'), {}), /^out of memory \(Array buffer allocation failed\): .*lower --workers/, 2],
      [Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' }), /^the WebAssembly engine stopped \(memory access out of bounds\), which almost always means it ran out of memory/, 2],
    ];
    for (const [err, message, exitCode] of cases) {
      const clear = environmentError(err);
      expect(clear?.message, String(err)).toMatch(message);
      expect(clear?.exitCode, String(err)).toBe(exitCode);
      expect(clear?.name).toBe('EnvironmentError');
    }
  });

  it('leaves defects alone: a TypeError, a RangeError that is not about memory, a RuntimeError that is not a failed allocation', () => {
    expect(environmentError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeUndefined();
    expect(environmentError(new RangeError('Maximum call stack size exceeded'))).toBeUndefined();
    expect(environmentError(Object.assign(new Error('unreachable'), { name: 'RuntimeError' }))).toBeUndefined();
    expect(environmentError('a string')).toBeUndefined();
    expect(environmentError(null)).toBeUndefined();
  });

  it("maps the errors Node really throws: a folder read as a file, a symlink loop, a file used as a folder", () => {
    const dir = tmp();
    mkdirSync(join(dir, 'out.json'));
    expect(environmentError(thrown(() => writeFileAtomic(join(dir, 'out.json'), '{}')))?.message).toBe(`${join(dir, 'out.json')} is a folder; expected a file`);
    symlinkSync(join(dir, 'b'), join(dir, 'a'));
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    expect(environmentError(thrown(() => readFileSync(join(dir, 'a'))))?.message).toMatch(/too many levels of symbolic links/);
    writeFileSync(join(dir, 'f'), 'x');
    expect(environmentError(thrown(() => writeFileAtomic(join(dir, 'f', 'g.json'), '{}')))?.message).toBe(`${join(dir, 'f')} is a file; expected a folder (outputs are written under it)`);
  });

  it('a port in use, from a real listen', async () => {
    const listen = (s: Server, port: number) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    const first = createServer();
    await listen(first, 0);
    const port = (first.address() as { port: number }).port;
    const second = createServer();
    const err = await listen(second, port).catch((e: unknown) => e);
    first.close();
    expect(environmentError(err)?.message).toBe(`cannot listen on 127.0.0.1:${port}: another process uses that port; choose another --port`);
  });

  it("finds the real cause behind recursive mkdir's ENOENT (Node reports ENOENT when an ancestor cannot be written)", () => {
    const dir = tmp();
    mkdirSync(join(dir, 'ro'));
    const err = Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'mkdir', path: join(dir, 'ro', 'x', 'y') });
    // the ancestor is writable here, so the ENOENT stands as it is
    expect(environmentError(err)?.message).toMatch(/ro\/x\/y does not exist \(mkdir\)/);
  });
});
