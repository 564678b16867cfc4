/**
 * `lifeline sso login`: sign in through the studio's OpenID provider by loopback redirect
 * (RFC 8252). The CLI listens once on 127.0.0.1, the node starts the sign-in for that redirect
 * (it keeps the PKCE verifier, state and nonce), the person signs in in a browser, and the CLI
 * hands the callback's query to the node, which answers a short-lived `llsso_…` token. The token
 * goes to stdout as a shell line for `LIFELINE_TOKEN` (`eval "$(lifeline sso login)"`), never to
 * stderr or a file: it is the operator's to keep, as an operator token is.
 */
import { createServer, type Server } from 'node:http';
import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { parseDuration } from './parse.ts';

const CALLBACK_PATH = '/callback';

const DONE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Lifeline</title><p>Signed in: you can close this window and go back to the terminal.</p>';

interface Loopback {
  redirectUri: string;
  /** The callback's query string, once the browser comes back. */
  callback: Promise<string>;
  close: () => void;
}

/** A one-shot listener on 127.0.0.1 that takes the provider's redirect and closes. */
async function listenOnce(port: number, timeoutMs: number): Promise<Loopback> {
  let server: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  const close = () => {
    clearTimeout(timer);
    server?.close();
    server?.closeAllConnections();
  };
  const callback = new Promise<string>((resolve, reject) => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(DONE_PAGE);
      resolve(url.search.slice(1));
    });
    timer = setTimeout(
      () => reject(new CliError('SSO_STATE_INVALID', 'No sign-in came back in time: run it again')),
      timeoutMs,
    );
  });
  // Awaited only once the node has answered; a timeout before then must not go unhandled.
  callback.catch(() => undefined);
  const s = server as unknown as Server;
  await new Promise<void>((resolve, reject) => {
    s.once('error', (err) =>
      reject(new CliError('VALIDATION_FAILED', `Cannot listen on 127.0.0.1:${port}: ${err.message}`)),
    );
    s.listen(port, '127.0.0.1', resolve);
  });
  const bound = (s.address() as { port: number }).port;
  return { redirectUri: `http://127.0.0.1:${bound}${CALLBACK_PATH}`, callback, close };
}

interface Finished {
  token: string;
  expiresAt: string;
  operator: { name: string; role: string };
}

export function ssoCommands(program: Command, cli: CliContext): void {
  const sso = program
    .command('sso')
    .description("operator single sign-on through the studio's OpenID provider");
  sso
    .command('login')
    .description(
      '[api] sign in in a browser through the SSO; prints `export LIFELINE_TOKEN=…` for a short-lived token with the role your groups map to',
    )
    .option('--port <port>', 'loopback port for the redirect (default: any free one)', '0')
    .option('--timeout <duration>', 'how long to wait for the browser to come back', '10m')
    .action(async (opts: { port: string; timeout: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError('VALIDATION_FAILED', '--port is a port number (0: any free one)');
      const loopback = await listenOnce(port, parseDuration(opts.timeout, '--timeout'));
      try {
        const started = (await cli.api(
          'POST',
          '/console/sso/cli',
          { redirectUri: loopback.redirectUri },
          false,
        )) as { authorizationUrl: string; finishKey: string };
        cli.io.err(
          cli.io.tty
            ? `Open this address in your browser to sign in (waiting on ${loopback.redirectUri}):`
            : `sign in at (waiting on ${loopback.redirectUri}):`,
        );
        cli.io.err(started.authorizationUrl);
        const query = await loopback.callback;
        const done = (await cli.api(
          'POST',
          '/console/sso/cli/finish',
          { query, finishKey: started.finishKey },
          false,
        )) as Finished;
        cli.io.err(`signed in as ${done.operator.name} (${done.operator.role}, SSO) until ${done.expiresAt}`);
        cli.print(`export LIFELINE_TOKEN=${done.token}`, done);
      } finally {
        loopback.close();
      }
    });
}
