/**
 * The control API, on its own loopback port: a scenario or an operator at a terminal switches
 * faults and reads what the upstream measured.
 *
 *   GET    /_lab/faults   → {faults}
 *   PUT    /_lab/faults   {faults: [...]} → replaces the set → {faults}
 *   POST   /_lab/faults   {kind, ...}     → adds one (replacing its kind; recover clears) → {faults}
 *   DELETE /_lab/faults   → clears every fault → {faults: []}
 *   GET    /_lab/stats    → the measured counts and per-second history
 *   …and any routes the upstream adds (the OIDC issuer's `POST /_lab/mint`).
 *
 * Bad input changes nothing and answers 400 with a catalog code (LAB_FAULT_INVALID naming the
 * field, or MALFORMED_JSON).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorBody, LifelineError } from '../errors/index.ts';
import { type Fault, parseFault, parseFaults } from './faults.ts';

const maxBody = 64 * 1024;

/** A route an upstream adds to its control API, keyed `METHOD /path`; given the JSON body. */
export type ControlRoutes = Record<string, (body: unknown) => Promise<unknown>>;

/** What the control API drives: an HTTP upstream, or the DNS lab with faults of its own. */
export interface Controlled<F> {
  faults: {
    list(): unknown[];
    set(fault: F): Promise<void>;
    replace(faults: readonly F[]): Promise<void>;
    clear(): Promise<void>;
  };
  stats: { snapshot(): unknown };
  controlRoutes?: ControlRoutes | undefined;
}

/** Checks untrusted JSON: one fault, or a list of them. */
export interface FaultParser<F> {
  one(input: unknown): F;
  many(input: unknown): F[];
}

const httpFaults: FaultParser<Fault> = { one: (x) => parseFault(x), many: (x) => parseFaults(x) };

export async function startControl<F = Fault>(
  up: Controlled<F>,
  host: string,
  parse: FaultParser<F> = httpFaults as unknown as FaultParser<F>,
): Promise<Server> {
  const server = createServer((req, res) => {
    route(up, req, parse)
      .then((body) => send(res, 200, body))
      .catch((err: unknown) => {
        const e =
          err instanceof LifelineError ? err : new LifelineError('INTERNAL', undefined, { cause: err });
        send(res, e.status, errorBody(e));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return server;
}

async function route<F>(up: Controlled<F>, req: IncomingMessage, parse: FaultParser<F>): Promise<unknown> {
  const key = `${req.method} ${req.url}`;
  switch (key) {
    case 'GET /_lab/faults':
      return { faults: up.faults.list() };
    case 'PUT /_lab/faults': {
      const body = await readJson(req);
      const list =
        typeof body === 'object' && body !== null ? (body as { faults?: unknown }).faults : undefined;
      await up.faults.replace(parse.many(list));
      return { faults: up.faults.list() };
    }
    case 'POST /_lab/faults':
      await up.faults.set(parse.one(await readJson(req)));
      return { faults: up.faults.list() };
    case 'DELETE /_lab/faults':
      await up.faults.clear();
      return { faults: [] };
    case 'GET /_lab/stats':
      return up.stats.snapshot();
    default: {
      const extra = up.controlRoutes?.[key];
      if (!extra) throw new LifelineError('NOT_FOUND', `No lab route ${key}`);
      return extra(req.method === 'GET' ? undefined : await readJson(req));
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > maxBody) throw new LifelineError('BODY_TOO_LARGE');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new LifelineError('MALFORMED_JSON', undefined, { cause: err });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
