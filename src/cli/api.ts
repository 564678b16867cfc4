import type { CliBase } from './base.ts';
import { CliError } from './errors.ts';

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
function hostFor(listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1';
  if (listenHost === '::') return '[::1]';
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost;
}

export function adminClient(cli: CliBase): AdminClient {
  const api: AdminClient['api'] = async (method, path, body, bearer = true) => {
    const cfg = cli.config();
    const base =
      cli.globals().adminUrl ??
      cli.io.env.LIFELINE_ADMIN_URL ??
      `http://${hostFor(cfg.admin.host)}:${cfg.admin.port}`;
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
        'NOT_READY',
        `Cannot reach the admin API at ${base}: is \`lifeline serve\` running? (${(err as Error).message})`,
      );
    }
    const payload = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!res.ok)
      throw new CliError(
        payload.error?.code ?? `HTTP_${res.status}`,
        payload.error?.message ?? res.statusText,
      );
    return payload;
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
