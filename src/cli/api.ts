import type { CliBase } from './base.ts';
import { CliError, inCliTerms } from './errors.ts';

/** How api commands reach a running server: its admin listener, as an operator. */
export interface AdminClient {
  /** One admin API call; a refusal throws with the API's own code and message. */
  api: (method: string, path: string, body?: unknown, bearer?: boolean) => Promise<unknown>;
  /** An operator request (a guarded command) sent with the requester's TOTP; another admin approves. */
  askApproval: (
    method: 'POST' | 'PATCH',
    path: string,
    fields: Record<string, unknown>,
    opts: { totp: string; reason?: string },
  ) => Promise<void>;
}

/** The admin listener's URL from a listen address: a wildcard is reached on loopback. */
export function hostFor(listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1';
  if (listenHost === '::') return '[::1]';
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost;
}

const causeOf = (err: unknown): string => {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
};

/**
 * The API's answer, or its refusal as a CliError keeping the details; an answer that is not the
 * admin API's (no JSON error body, or no such route) says the URL is probably the wrong one.
 */
async function answer(res: Response, base: string, path: string): Promise<unknown> {
  const text = await res.text();
  let payload: { error?: { code?: unknown; message?: unknown } & Record<string, unknown> } | undefined;
  try {
    payload = JSON.parse(text) as typeof payload;
  } catch {
    payload = undefined;
  }
  if (res.ok && payload !== undefined) return payload;
  const e = payload?.error;
  if (typeof e?.code !== 'string' || (e.code === 'NOT_FOUND' && /^No route /.test(String(e.message)))) {
    throw new CliError(
      'ADMIN_URL_WRONG',
      `${base} answered ${res.status} to ${path.split('?')[0]}, not as Lifeline's admin API: check --admin-url, LIFELINE_ADMIN_URL or admin.port (the player port is not the admin one)`,
      { adminUrl: base, status: res.status },
    );
  }
  const { code, message, ...details } = e;
  throw new CliError(code, inCliTerms(String(message ?? res.statusText)), {
    ...details,
    status: res.status,
    adminUrl: base,
  });
}

/** Which admin listener api commands use, and where that came from. */
export function adminUrlOf(cli: CliBase): { url: string; from: string } {
  const flag = cli.globals().adminUrl;
  if (flag !== undefined) return { url: flag, from: '--admin-url' };
  const env = cli.io.env.LIFELINE_ADMIN_URL;
  if (env !== undefined) return { url: env, from: 'LIFELINE_ADMIN_URL' };
  const cfg = cli.config();
  return { url: `http://${hostFor(cfg.admin.host)}:${cfg.admin.port}`, from: 'config admin.host/admin.port' };
}

export function adminClient(cli: CliBase): AdminClient {
  const api: AdminClient['api'] = async (method, path, body, bearer = true) => {
    const base = adminUrlOf(cli).url;
    const token = cli.globals().token ?? cli.io.env.LIFELINE_TOKEN;
    if (!token && bearer)
      throw new CliError('OPERATOR_UNAUTHENTICATED', 'Give an operator token with --token or LIFELINE_TOKEN');
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        method,
        headers: {
          ...(bearer ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(
        'ADMIN_UNREACHABLE',
        `Cannot reach the admin API at ${base}: is \`lifeline serve\` running, and is this its admin listener? (${causeOf(err)})`,
        { adminUrl: base },
      );
    }
    const answered = await answer(res, base, path);
    cli.trail.admin = adminUrlOf(cli);
    return answered;
  };
  return { api, askApproval: askApprovalWith(cli, api) };
}

function askApprovalWith(cli: CliBase, api: AdminClient['api']): AdminClient['askApproval'] {
  return async (method, path, fields, opts) => {
    const reason = opts.reason === undefined ? {} : { reason: opts.reason };
    const body = (await api(method, path, { ...fields, totp: opts.totp, ...reason })) as {
      command: { id: string };
      enrolment?: { operator: string; requesterPart: string };
    };
    const id = body.command.id;
    const asked = `command ${id} awaits approval by another admin: lifeline approve ${id} --totp <code>`;
    const e = body.enrolment;
    cli.print(
      e
        ? [
            asked,
            `your part of ${e.operator}'s enrolment (shown once; hand it to them yourself, by another channel than the approver's):`,
            e.requesterPart,
          ].join('\n')
        : asked,
      body,
    );
  };
}
