/**
 * A self-hosted Nx remote cache (Nx's OpenAPI "custom remote cache" spec, which the open-source
 * Nx client speaks when NX_SELF_HOSTED_REMOTE_CACHE_SERVER is set):
 *
 *   PUT /v1/cache/{hash}   body: the task's output archive   → 200; 409 if it exists; 403 read-only
 *   GET /v1/cache/{hash}                                      → 200 + archive; 404 if absent
 *
 * Archives are files `<dir>/<hash>`, written atomically (temp + rename), so `dir` may live on a
 * shared file system and several servers (one per login node) may serve it. Optional bearer
 * tokens: `token` may read and write, `readToken` may only read; without tokens anyone may.
 */
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { writeFileAtomic } from '@sortscope/core';

export interface CacheServerOptions {
  dir: string;
  port?: number;
  host?: string;
  token?: string;
  readToken?: string;
  log?: (line: string) => void;
}

const HASH = /^\/v1\/cache\/([A-Za-z0-9._-]+)$/;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function startCacheServer(opts: CacheServerOptions): Promise<{ server: Server; url: string }> {
  mkdirSync(opts.dir, { recursive: true });
  const log = opts.log ?? (() => {});
  const server = createServer(async (req, res) => {
    const m = HASH.exec(req.url ?? '');
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    const canRead = (!opts.token && !opts.readToken) || auth === opts.token || auth === opts.readToken;
    const canWrite = !opts.token || auth === opts.token;
    const end = (code: number, msg = '') => {
      res.writeHead(code, { 'content-type': 'text/plain' }).end(msg);
      log(`${req.method} ${req.url} ${code}`);
    };
    if (!m) return end(404, 'not found');
    const file = join(opts.dir, m[1]);
    try {
      if (req.method === 'GET') {
        if (!canRead) return end(403, 'access forbidden');
        if (!existsSync(file)) return end(404, 'the record was not found');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
        createReadStream(file).pipe(res);
        log(`GET ${req.url} 200`);
        return;
      }
      if (req.method === 'PUT') {
        if (!canWrite) return end(403, 'access forbidden');
        const data = await body(req);
        if (existsSync(file)) return end(409, 'cannot override an existing record');
        writeFileAtomic(file, data);
        return end(200);
      }
      end(405, 'method not allowed');
    } catch (err) {
      end(500, (err as Error).message);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const addr = server.address() as { port: number };
      resolve({ server, url: `http://${opts.host ?? '127.0.0.1'}:${addr.port}` });
    });
  });
}
