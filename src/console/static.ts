/**
 * Serves the console's Vite bundle from disk. Only files found in the bundle directory when the
 * listener starts are served, by exact name: no path from a request ever reaches the file system.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { LifelineError } from '../errors/index.ts';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** Relative path (with `/`) to absolute path, for every file under `dir`; empty when it is missing. */
function listBundle(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return files;
  }
  for (const rel of entries) {
    const ext = path.extname(rel);
    if (types[ext]) files.set(rel.split(path.sep).join('/'), path.join(dir, rel));
  }
  return files;
}

/** The page's headers: nothing from elsewhere, no framing, no sniffing. */
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function serveBundle(app: FastifyInstance, dir: string): void {
  const files = listBundle(dir);
  app.get('/console', async (_request, reply) => reply.redirect('/console/'));
  app.get<{ Params: { '*': string } }>('/console/*', async (request, reply) => {
    const wanted = request.params['*'] === '' ? 'index.html' : request.params['*'];
    // Unknown paths get the page, so a reload on a view's URL still works.
    const file = files.get(wanted) ?? files.get('index.html');
    if (!file) throw new LifelineError('CONSOLE_NOT_BUILT');
    const type = types[path.extname(file)] ?? 'application/octet-stream';
    return reply.headers({ ...securityHeaders, 'content-type': type }).send(readFileSync(file));
  });
}
