/**
 * `sortscope cache-server` against the attacks the first version let through: each test below
 * passed the attack on that server (no auth when only one kind of token was set, an optional
 * Bearer prefix, `..` crashing the process, unbounded uploads, two servers both accepting a hash,
 * 0.0.0.0 without a token). The server runs in-process; one test runs the CLI.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { type CacheServer, type CacheServerOptions, isLoopback, startCacheServer } from './server.ts';
import { tarGz } from './testing.ts';

const tmp = useTempDirs('cache-server');
const ROOT = resolve(import.meta.dirname, '../../..');
const HASH = '12619223699951361949'; // what Nx sends: xxh3-64 in decimal

const servers: CacheServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(opts: Partial<CacheServerOptions> = {}): Promise<CacheServer & { dir: string; lines: string[] }> {
  const lines: string[] = [];
  const dir = opts.dir ?? tmp();
  const s = await startCacheServer({ log: (l) => lines.push(l), ...opts, dir });
  servers.push(s);
  return { ...s, dir, lines };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
/** A request with the raw `path` (no URL normalisation), left open for the caller to write. */
function begin(base: string, method: string, path: string, headers: Record<string, string | number> = {}, agent: Agent | false = false) {
  const u = new URL(base);
  const req = request({ host: u.hostname, port: u.port, method, path, headers, agent });
  const response = new Promise<Reply>((ok, fail) => {
    req.on('error', fail);
    req.on('response', (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => ok({ status: r.statusCode!, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', fail);
    });
  });
  return { req, response };
}
function send(base: string, method: string, path: string, opts: { auth?: string; body?: Buffer; agent?: Agent } = {}): Promise<Reply> {
  const headers: Record<string, string | number> = {};
  if (opts.auth !== undefined) headers.authorization = opts.auth;
  if (opts.body) headers['content-length'] = opts.body.length;
  const { req, response } = begin(base, method, path, headers, opts.agent ?? false);
  req.end(opts.body);
  return response;
}
/** A small archive of the kind Nx uploads, holding `text`. */
const archive = (text: string | Buffer) => tarGz({ [`${HASH}/out/result.txt`]: text });
const put = (s: CacheServer, body: Buffer, auth?: string, hash = HASH) => send(s.url, 'PUT', `/v1/cache/${hash}`, { auth, body });
const get = (s: CacheServer, auth?: string, hash = HASH) => send(s.url, 'GET', `/v1/cache/${hash}`, { auth });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('the Nx self-hosted cache API', () => {
  it('round-trips an archive: PUT then GET returns the same bytes, typed and sized', async () => {
    const s = await serve();
    const body = archive(randomBytes(200_000));
    expect((await put(s, body)).status).toBe(200);
    // a keep-alive client, as Nx's: with `Connection: close` the client may hang up on the last
    // byte before the server has ended the response, and the server then logs the GET 'aborted'
    const agent = new Agent({ keepAlive: true });
    const r = await send(s.url, 'GET', `/v1/cache/${HASH}`, { agent });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.headers['content-length']).toBe(String(body.length));
    expect(r.body.equals(body)).toBe(true);
    expect(readdirSync(s.dir)).toEqual([HASH]); // no temp file left
    await until(() => s.lines.length === 2, 'the log'); // a line is written once the response has closed
    agent.destroy(); // only now: the server has ended the response
    expect(s.lines).toEqual([`PUT /v1/cache/${HASH} 200`, `GET /v1/cache/${HASH} 200`]);
  });

  it('never overwrites: a second PUT of a hash is 409 and the first archive stays', async () => {
    const s = await serve();
    await put(s, archive('first'));
    expect((await put(s, archive('second'))).status).toBe(409);
    expect(readFileSync(join(s.dir, HASH)).equals(archive('first'))).toBe(true);
  });

  it('refuses an upload that is not a gzip tar (400) and stores nothing', async () => {
    const s = await serve();
    const r = await put(s, Buffer.from('not an archive'));
    expect(r.status).toBe(400);
    expect(r.body.toString()).toMatch(/^not an archive Nx can unpack: not gzip data/);
    expect(readdirSync(s.dir)).toEqual([]);
    expect((await put(s, archive('real'))).status).toBe(200); // the hash stays free
  });

  it('a stored file that is not an archive (planted, damaged) is a miss, moved aside so a real result can be stored', async () => {
    const s = await serve();
    writeFileSync(join(s.dir, HASH), 'planted garbage');
    expect((await get(s)).status).toBe(404);
    expect(readdirSync(s.dir).filter((f) => f === HASH)).toEqual([]);
    expect(readdirSync(s.dir).some((f) => f.startsWith(`.rejected-${HASH}-`))).toBe(true);
    await until(() => s.lines.some((l) => l.includes('not an archive Nx can unpack')), 'the log');
    expect((await put(s, archive('recomputed'))).status).toBe(200);
    expect((await get(s)).body.equals(archive('recomputed'))).toBe(true);
  });

  it('answers 404 for an absent hash', async () => {
    const s = await serve();
    expect((await get(s)).status).toBe(404);
    await until(() => s.lines.length === 1, 'the log');
    expect(s.lines).toEqual([`GET /v1/cache/${HASH} 404`]);
  });
});

describe('tokens', () => {
  it('with --token alone, GET and PUT without a header are 401 (text/plain, for the Nx client)', async () => {
    const s = await serve({ token: 'w-secret' });
    expect((await put(s, archive('real'), 'Bearer w-secret')).status).toBe(200);
    const g = await get(s);
    expect(g.status).toBe(401);
    expect(g.headers['content-type']).toBe('text/plain');
    expect(g.headers['www-authenticate']).toBe('Bearer');
    expect((await put(s, archive('planted'), undefined, '42')).status).toBe(401);
    expect(readdirSync(s.dir)).toEqual([HASH]);
  });

  it('with --read-token alone, PUT without a header is 401 and with the read token 403; nothing is stored', async () => {
    const s = await serve({ readToken: 'r-secret' });
    expect((await put(s, archive('planted'))).status).toBe(401);
    expect((await put(s, archive('planted'), 'Bearer r-secret')).status).toBe(403);
    expect(readdirSync(s.dir)).toEqual([]);
    writeFileSync(join(s.dir, HASH), archive('real'));
    expect((await get(s, 'Bearer r-secret')).body.equals(archive('real'))).toBe(true);
    expect((await get(s)).status).toBe(401);
  });

  it('the read token reads, the write token reads and writes, a wrong token gets 401', async () => {
    const s = await serve({ token: 'w-secret', readToken: 'r-secret' });
    expect((await put(s, archive('x'), 'Bearer r-secret')).status).toBe(403);
    expect((await put(s, archive('x'), 'Bearer nope')).status).toBe(401);
    expect((await put(s, archive('x'), 'Bearer w-secret')).status).toBe(200);
    expect((await get(s, 'Bearer r-secret')).status).toBe(200);
    expect((await get(s, 'Bearer w-secret')).status).toBe(200);
    expect((await get(s, 'Bearer w-secret-and-more')).status).toBe(401);
  });

  it('requires the Bearer scheme: a bare or Basic token is 401', async () => {
    const s = await serve({ token: 'w-secret' });
    expect((await put(s, archive('x'), 'w-secret')).status).toBe(401);
    expect((await put(s, archive('x'), 'Basic w-secret')).status).toBe(401);
    expect((await put(s, archive('x'), 'Bearer  w-secret')).status).toBe(401);
    expect(readdirSync(s.dir)).toEqual([]);
    expect((await put(s, archive('x'), 'Bearer w-secret')).status).toBe(200);
  });
});

describe('names', () => {
  const bad = ['..', '.', '%2e%2e', '%2E%2E', '..%2f..%2fetc%2fpasswd', '../../etc/passwd', '', '1'.repeat(21), 'abc', '12a', '12.3', '-1', `${HASH}%00`];
  it('answers 400 to anything but a task hash, for GET and PUT, and keeps serving', async () => {
    const s = await serve();
    for (const name of bad) {
      expect((await send(s.url, 'GET', `/v1/cache/${name}`)).status, `GET ${name}`).toBe(400);
      expect((await send(s.url, 'PUT', `/v1/cache/${name}`, { body: archive('x') })).status, `PUT ${name}`).toBe(400);
    }
    expect(readdirSync(s.dir)).toEqual([]);
    expect((await put(s, archive('still up'))).status).toBe(200);
    expect((await get(s)).body.equals(archive('still up'))).toBe(true);
  });

  it('GET of a folder named like a hash is 404, not a crash', async () => {
    const s = await serve();
    mkdirSync(join(s.dir, '123'));
    expect((await send(s.url, 'GET', '/v1/cache/123')).status).toBe(404);
    expect((await put(s, archive('ok'))).status).toBe(200);
  });
});

describe('upload limits', () => {
  it('refuses a declared Content-Length past --max-bytes with 413 before reading it', async () => {
    const s = await serve({ maxBytes: 1000 });
    const { req, response } = begin(s.url, 'PUT', `/v1/cache/${HASH}`, { 'content-length': 1001 });
    req.flushHeaders();
    expect((await response).status).toBe(413);
    req.destroy();
    expect(readdirSync(s.dir)).toEqual([]);
  });

  it('cuts a streamed (chunked) upload off past --max-bytes with 413 and leaves no temp file', async () => {
    const s = await serve({ maxBytes: 1000 });
    const { req, response } = begin(s.url, 'PUT', `/v1/cache/${HASH}`);
    let answered = false;
    response.then(
      () => (answered = true),
      () => (answered = true),
    );
    for (let i = 0; i < 100 && !answered; i++) {
      await new Promise((ok) => req.write(Buffer.alloc(300), ok));
      await sleep(5);
    }
    expect((await response).status).toBe(413);
    req.destroy();
    expect(readdirSync(s.dir)).toEqual([]);
    const limit = archive(randomBytes(600)); // incompressible: a few hundred bytes past the data
    const exact = await serve({ maxBytes: limit.length });
    expect((await put(exact, limit)).status).toBe(200); // exactly the limit is fine
  });

  it('stores nothing from an upload cut short, and the hash stays free', async () => {
    const s = await serve();
    const { req, response } = begin(s.url, 'PUT', `/v1/cache/${HASH}`, { 'content-length': 10_000 });
    response.catch(() => {});
    await new Promise((ok) => req.write(Buffer.alloc(5000), ok));
    await until(() => readdirSync(s.dir).length === 1, 'the temp file');
    req.destroy();
    await until(() => readdirSync(s.dir).length === 0, 'the temp file to go');
    expect((await put(s, archive('whole'))).status).toBe(200);
  });
});

describe('two servers over one folder', () => {
  it('racing the same PUT: exactly one 200 and one 409, and the winner is what is stored', async () => {
    const dir = tmp();
    const [a, b] = [await serve({ dir }), await serve({ dir })];
    const bodies = [archive(randomBytes(4000)), archive(randomBytes(4000))];
    const reqs = [a, b].map((s, i) => begin(s.url, 'PUT', `/v1/cache/${HASH}`, { 'content-length': bodies[i].length }));
    // both past the "exists?" check and streaming before either finishes
    for (const [i, r] of reqs.entries()) await new Promise((ok) => r.req.write(bodies[i].subarray(0, 2000), ok));
    await until(() => readdirSync(dir).filter((f) => f.startsWith('.upload-')).length === 2, 'both uploads to start');
    reqs.forEach((r, i) => r.req.end(bodies[i].subarray(2000)));
    const statuses = (await Promise.all(reqs.map((r) => r.response))).map((r) => r.status);
    expect([...statuses].sort()).toEqual([200, 409]);
    expect(readdirSync(dir)).toEqual([HASH]);
    expect(readFileSync(join(dir, HASH)).equals(bodies[statuses.indexOf(200)])).toBe(true);
  });
});

describe('the real Nx client (its native HttpRemoteCache)', () => {
  interface NxRemoteCache {
    store(hash: string, cacheDir: string, terminalOutput: string, code: number): Promise<boolean>;
    retrieve(hash: string, cacheDir: string): Promise<{ code: number; terminalOutput?: string } | null>;
  }
  /** Nx reads NX_SELF_HOSTED_REMOTE_CACHE_SERVER and _ACCESS_TOKEN when the client is made. */
  function nx(url: string, token?: string): NxRemoteCache {
    const { HttpRemoteCache } = createRequire(import.meta.url)('nx/src/native') as { HttpRemoteCache: new () => NxRemoteCache };
    const vars = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token };
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    const set = (v: Record<string, string | undefined>) => {
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) delete process.env[k];
        else process.env[k] = x;
      }
    };
    try {
      set(vars);
      return new HttpRemoteCache();
    } finally {
      set(saved);
    }
  }
  function computed(): string {
    const cacheDir = tmp();
    mkdirSync(join(cacheDir, HASH, 'out'), { recursive: true });
    writeFileSync(join(cacheDir, HASH, 'out', 'result.txt'), 'computed');
    return cacheDir;
  }

  it('stores and replays without a token on loopback', async () => {
    const s = await serve();
    expect(await nx(s.url).store(HASH, computed(), 'log', 0)).toBe(true);
    const elsewhere = tmp();
    expect((await nx(s.url).retrieve(HASH, elsewhere))?.terminalOutput).toBe('log');
    expect(readFileSync(join(elsewhere, HASH, 'out', 'result.txt'), 'utf8')).toBe('computed');
  });

  it('a planted non-archive entry is a miss for the client, not a crash of its run (#29 NX06)', async () => {
    const s = await serve();
    writeFileSync(join(s.dir, HASH), 'planted garbage');
    expect(await nx(s.url).retrieve(HASH, tmp())).toBeNull();
    expect(await nx(s.url).store(HASH, computed(), 'log', 0)).toBe(true); // the recomputed result takes its place
    expect((await nx(s.url).retrieve(HASH, tmp()))?.terminalOutput).toBe('log');
  });

  it('with tokens: writes with the write token, reads with the read token, is told "Unauthorized" without one', async () => {
    const s = await serve({ token: 'w-secret', readToken: 'r-secret' });
    expect(await nx(s.url, 'r-secret').store(HASH, computed(), 'log', 0)).toBe(false); // 403: not stored
    expect(await nx(s.url, 'w-secret').store(HASH, computed(), 'log', 0)).toBe(true);
    expect(await nx(s.url, 'w-secret').store(HASH, computed(), 'log', 0)).toBe(false); // 409
    expect((await nx(s.url, 'r-secret').retrieve(HASH, tmp()))?.code).toBe(0);
    await expect(nx(s.url).retrieve(HASH, tmp())).rejects.toThrow(/Unauthorized: missing or invalid token/);
  });
});

describe('where it listens', () => {
  it('refuses a non-loopback address without a token', async () => {
    await expect(startCacheServer({ dir: tmp(), host: '0.0.0.0' })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without a token/);
    await expect(startCacheServer({ dir: tmp(), host: '::' })).rejects.toThrow(/without a token/);
  });

  it('listens on loopback by default, and anywhere with a token', async () => {
    expect((await serve()).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await serve({ host: '0.0.0.0', token: 'w-secret' })).url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(['localhost', '127.0.0.1', '127.1.2.3', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.org'].some(isLoopback)).toBe(false);
  });

  it('the CLI exits 2 with a clear message for --host 0.0.0.0 without a token', () => {
    const env = { ...process.env, SORTSCOPE_CACHE_TOKEN: '', SORTSCOPE_CACHE_READ_TOKEN: '' };
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'cache-server', '--dir', tmp(), '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8', env, timeout: 50_000 });
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a token/);
    expect(r.status).toBe(2);
  });
});
