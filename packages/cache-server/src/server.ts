/**
 * A self-hosted Nx remote cache: the "Nx custom remote cache specification" (OpenAPI 1.0.0,
 * nx.dev "self-hosted caching") that the open-source Nx client speaks when
 * NX_SELF_HOSTED_REMOTE_CACHE_SERVER is set, over a folder of archives (cache-server-store.ts).
 *
 *   GET /v1/cache/{hash}  → 200 + the archive (application/octet-stream, Content-Length); 404 if absent
 *   PUT /v1/cache/{hash}  → 200 stored; 409 if it exists (never overwritten); 413 past maxBytes;
 *                           400 if the body is not a gzip'd tar (archive.ts)
 *   a stored file that is not a gzip'd tar is answered 404 (a miss, not a client crash) and moved aside
 *   either                → 401 (text/plain) without `Authorization: Bearer <token>` when tokens are
 *                           set; 403 on PUT with the read-only token; 400 if {hash} is not a task hash
 *
 * `token` may read and write, `readToken` may only read; with neither, anyone who can connect may
 * do both, so that is allowed on a loopback address only. The Nx client (nx/src/native/cache/
 * http_remote_cache.rs) sends `Authorization: Bearer $NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN`
 * when that is set, takes only 200 as a stored PUT (409 and 403 as "not stored"), and reads a 401
 * as "Unauthorized" only when its Content-Type is exactly `text/plain`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { ConfigError } from '@sortscope/core/errors';
import { archiveProblem } from './archive.ts';
import { enforceQuota, TASK_HASH, touchEntry } from './manage.ts';
import { openEntry, storeUpload } from './store.ts';

export interface CacheServerOptions {
  dir: string;
  /** 0 or absent: any free port. */
  port?: number;
  /** Address to listen on [default: 127.0.0.1]; anything but loopback needs a token. */
  host?: string;
  /** May read and write. */
  token?: string;
  /** May only read (GET). */
  readToken?: string;
  /** Largest archive accepted, in bytes [default: DEFAULT_MAX_BYTES]. */
  maxBytes?: number;
  /** Most bytes of entries kept: past it, the least recently used are evicted (manage.ts) [default: no limit]. */
  maxTotalBytes?: number;
  /** Gets one line per request (method, path, status); absent: silent. */
  log?: (line: string) => void;
}

export interface CacheServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BYTES = 1024 ** 3; // 1 GiB
const PREFIX = '/v1/cache/';
/** Most of an unwanted body read (and dropped) after an early answer to an unauthenticated PUT. */
const UNAUTHENTICATED_DRAIN = 64 * 1024;

type Access = 'none' | 'read' | 'write';
interface Context {
  dir: string;
  maxBytes: number;
  maxTotalBytes?: number;
  writeDigest?: Buffer;
  readDigest?: Buffer;
  log: (line: string) => void;
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIPv4(host) && host.startsWith('127.');
}

function checkOptions(opts: CacheServerOptions, host: string): void {
  for (const [flag, t] of [['--token', opts.token], ['--read-token', opts.readToken]] as const) {
    if (t !== undefined && !/^[\x21-\x7e]+$/.test(t)) throw new ConfigError(`cache-server: ${flag} must be non-empty printable ASCII without spaces (it travels in an HTTP header)`);
  }
  if (opts.token !== undefined && opts.token === opts.readToken) throw new ConfigError('cache-server: --token and --read-token must differ (the read token must not be able to write)');
  if (opts.maxBytes !== undefined && !(Number.isInteger(opts.maxBytes) && opts.maxBytes >= 1)) throw new ConfigError(`cache-server: --max-bytes: got ${opts.maxBytes}; expected a positive integer`);
  if (opts.maxTotalBytes !== undefined && !(Number.isInteger(opts.maxTotalBytes) && opts.maxTotalBytes >= 1)) throw new ConfigError(`cache-server: --max-total-bytes: got ${opts.maxTotalBytes}; expected a positive integer`);
  if (!isLoopback(host) && opts.token === undefined && opts.readToken === undefined) {
    throw new ConfigError(
      `cache-server: refusing to listen on ${host} without a token: anyone who can reach it could read the cache and plant ` +
        'task outputs that Nx replays as real results. Set --token (and --read-token for read-only clients), or listen on 127.0.0.1.',
    );
  }
}

/** Serve `opts.dir` until `close()`; rejects (ConfigError) on unsafe options and when it cannot listen. */
export async function startCacheServer(opts: CacheServerOptions): Promise<CacheServer> {
  const host = opts.host ?? '127.0.0.1';
  checkOptions(opts, host);
  mkdirSync(opts.dir, { recursive: true });
  const digest = (t: string | undefined) => (t === undefined ? undefined : sha256(t));
  const ctx: Context = {
    dir: opts.dir,
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
    maxTotalBytes: opts.maxTotalBytes,
    writeDigest: digest(opts.token),
    readDigest: digest(opts.readToken),
    log: opts.log ?? (() => {}),
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    req.on('error', () => {}); // a client gone mid-request: handled where the body is read
    res.on('error', () => {});
    res.on('close', () => ctx.log(`${req.method} ${path.slice(0, 120)} ${res.writableEnded ? res.statusCode : 'aborted'}`));
    handle(req, res, path, ctx).catch((err: Error) => {
      ctx.log(`cache-server: ${req.method} ${path.slice(0, 120)}: ${err.message}`);
      if (res.headersSent) res.destroy();
      else refuse(req, res, 500, 'internal error', ctx.maxBytes);
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => ctx.log(`cache-server: ${err.message}`));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, path: string, ctx: Context): Promise<void> {
  if (!path.startsWith(PREFIX)) return refuse(req, res, 404, 'not found', ctx.maxBytes);
  if (req.method !== 'GET' && req.method !== 'PUT') {
    res.setHeader('allow', 'GET, PUT');
    return refuse(req, res, 405, 'method not allowed', ctx.maxBytes);
  }
  const access = accessOf(req.headers.authorization, ctx);
  if (access === 'none') {
    res.setHeader('www-authenticate', 'Bearer');
    return refuse(req, res, 401, 'missing or invalid token: send Authorization: Bearer <token> (NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN)', UNAUTHENTICATED_DRAIN);
  }
  if (req.method === 'PUT' && access !== 'write') return refuse(req, res, 403, 'access forbidden: this token may only read', ctx.maxBytes);
  const name = path.slice(PREFIX.length);
  // checked before the name reaches the file system: no `.`, `..`, `%2e`, `/` or odd lengths
  if (!TASK_HASH.test(name)) return refuse(req, res, 400, 'not an Nx task hash (1 to 20 digits)', ctx.maxBytes);
  if (req.method === 'GET') return get(res, name, ctx);
  return put(req, res, name, ctx);
}

async function get(res: ServerResponse, name: string, ctx: Context): Promise<void> {
  const path = join(ctx.dir, name);
  const problem = existsSync(path) ? await archiveProblem(path).catch((err: Error) => `unreadable (${err.message})`) : undefined;
  if (problem !== undefined) {
    // served as a miss, and moved aside so the next computed result can be stored under the hash
    const aside = join(ctx.dir, `.rejected-${name}-${Date.now()}`);
    try {
      renameSync(path, aside);
      ctx.log(`cache-server: ${name} is not an archive Nx can unpack (${problem}): answered as a miss and moved to ${aside}`);
    } catch {
      ctx.log(`cache-server: ${name} is not an archive Nx can unpack (${problem}): answered as a miss; remove ${path}`);
    }
    return reply(res, 404, 'the record was not found');
  }
  const entry = openEntry(ctx.dir, name);
  if (!entry) return reply(res, 404, 'the record was not found');
  touchEntry(ctx.dir, name); // its place in the eviction order
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': entry.size });
  pipeline(entry.stream, res, () => {}); // on a read error or a client gone, both are destroyed
}

async function put(req: IncomingMessage, res: ServerResponse, name: string, ctx: Context): Promise<void> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > ctx.maxBytes) return refuse(req, res, 413, `upload larger than ${ctx.maxBytes} bytes`, ctx.maxBytes);
  if (existsSync(join(ctx.dir, name))) return refuse(req, res, 409, 'cannot override an existing record', ctx.maxBytes);
  const outcome = await storeUpload(ctx.dir, name, req, ctx.maxBytes, archiveProblem);
  if (typeof outcome === 'object') return reply(res, 400, `not an archive Nx can unpack: ${outcome.refused}`);
  if (outcome === 'stored') {
    if (ctx.maxTotalBytes !== undefined) {
      touchEntry(ctx.dir, name);
      for (const e of enforceQuota(ctx.dir, ctx.maxTotalBytes, name)) ctx.log(`cache-server: evicted ${e.hash} (${e.size} bytes, last used ${new Date(e.used).toISOString()}): the entries passed --max-total-bytes ${ctx.maxTotalBytes}`);
    }
    return reply(res, 200, '');
  }
  if (outcome === 'exists') return reply(res, 409, 'cannot override an existing record');
  if (outcome === 'too-large') return refuse(req, res, 413, `upload larger than ${ctx.maxBytes} bytes`, ctx.maxBytes);
  res.destroy(); // interrupted: the client is gone
}

function accessOf(authorization: string | undefined, ctx: Context): Access {
  if (!ctx.writeDigest && !ctx.readDigest) return 'write';
  const m = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? '');
  if (!m) return 'none';
  const d = sha256(m[1]);
  // both compared, in constant time over equal-length digests
  const write = ctx.writeDigest !== undefined && timingSafeEqual(d, ctx.writeDigest);
  const read = ctx.readDigest !== undefined && timingSafeEqual(d, ctx.readDigest);
  return write ? 'write' : read ? 'read' : 'none';
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function reply(res: ServerResponse, status: number, message: string): void {
  // exactly `text/plain`: the Nx client shows a 401's text only for that Content-Type
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(message) });
  res.end(message);
}

/**
 * Answer before (or instead of) reading a request body. The rest of the body is read and dropped
 * so the client, still sending, gets the answer rather than a reset, but only up to `drain`
 * bytes: past that the connection is cut.
 */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string, drain: number): void {
  reply(res, status, message);
  if (req.complete) return;
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > drain) req.socket.destroy();
  });
  req.resume();
}
