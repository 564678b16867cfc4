/**
 * `lifeline operators`: add and list open the store themselves; revoke goes through the admin API
 * when given a token and writes the store otherwise; the guarded ones that ask another admin
 * (request, set-role) and enrol are in operator-requests.ts.
 */
import { totpEnrolment } from './totp-qr.ts';
import { type Command, Option } from 'commander';
import { roles } from '../operators/records.ts';
import { type Column, renderTable, when } from './table.ts';
import type { CliContext } from './context.ts';
import { operatorRequestCommands } from './operator-requests.ts';

export function operatorsCommands(program: Command, cli: CliContext): void {
  const operators = program.command('operators').description('[direct] manage admin-plane operators');
  addCommand(operators, cli);
  operatorRequestCommands(operators, cli);
  listCommand(operators, cli);
  revokeCommand(operators, cli);
}

/** True when an admin not revoked exists: a direct write is then break-glass. */
const hasAdmins = (list: { role: string; revokedAt: number | null }[]): boolean =>
  list.some((o) => o.role === 'admin' && o.revokedAt === null);

function addCommand(operators: Command, cli: CliContext): void {
  operators
    .command('add <name>')
    .description(
      '[direct] bootstrap the first admin (or any operator on a store with no admin) and print its token and TOTP URI (shown once); once an admin exists, refused unless --break-glass',
    )
    .addOption(new Option('--role <role>', 'role').choices([...roles]).makeOptionMandatory())
    .option('--break-glass', 'write although admins exist: audited, and raises a security alert')
    .action(async (name: string, opts: { role: string; breakGlass?: boolean }) => {
      const breakGlass = opts.breakGlass === true;
      const { created, admins } = await cli.withOperators(async (ops) => {
        const admins = hasAdmins(await ops.list());
        return {
          created: await ops.addDirect({ name, role: opts.role }, cli.actor(), { breakGlass }),
          admins,
        };
      });
      if (admins) cli.breakGlassWarning(`operators add ${name}`);
      cli.print(
        [
          `operator ${created.operator.name} (${created.operator.role}) created`,
          `token (shown once): ${created.token}`,
          totpEnrolment(created.otpauthUri, cli.io.tty === true),
        ].join('\n'),
        {
          operator: { id: created.operator.id, name: name, role: created.operator.role },
          token: created.token,
          otpauthUri: created.otpauthUri,
          ...(admins ? { breakGlass: true } : {}),
        },
      );
    });
}

function listCommand(operators: Command, cli: CliContext): void {
  operators
    .command('list')
    .description('[direct] list operators')
    .action(async () => {
      const list = await cli.withStore(({ store }) => store.listOperators(), false);
      const rows = list.map((o) => ({
        id: o.id,
        name: o.name,
        role: o.role,
        revoked: o.revokedAt !== null,
        lastSeenAt: o.lastSeenAt ?? null,
      }));
      const table = renderTable(
        [
          { header: 'NAME', value: (r) => r.name },
          { header: 'ROLE', value: (r) => r.role },
          { header: 'STATE', value: (r) => (r.revoked ? 'revoked' : 'active') },
          { header: 'LAST SEEN', value: (r) => when(r.lastSeenAt) },
        ] satisfies Column<(typeof rows)[number]>[],
        rows,
        { tty: cli.io.tty === true, wide: false },
      );
      cli.print(rows.length === 0 ? '(no operators)' : table, { operators: rows });
    });
}

/**
 * `operators revoke`: through the admin API when a token is given (one admin, a reason, audited
 * as that admin), as the runbooks do it; on the store directly otherwise (the bootstrap, or
 * `--break-glass` when no admin token can be used). `--break-glass` always writes directly.
 */
function revokeCommand(operators: Command, cli: CliContext): void {
  operators
    .command('revoke <name>')
    .description(
      '[api or direct] revoke an operator; their token stops working at once. With --token (or LIFELINE_TOKEN) through the admin API, as that admin, with --reason; without one, or with --break-glass, on the store directly (refused once an admin exists unless --break-glass)',
    )
    .option('--reason <text>', 'why (3-500 characters; the audit entry keeps it); required through the API')
    .option(
      '--break-glass',
      'write the store directly although admins exist: audited, and raises a security alert',
    )
    .action(async (name: string, opts: { reason?: string; breakGlass?: boolean }) => {
      const token = cli.globals().token ?? cli.io.env.LIFELINE_TOKEN;
      if (token !== undefined && opts.breakGlass !== true) {
        const body = (await cli.api('POST', `/admin/v1/operators/${encodeURIComponent(name)}/revoke`, {
          reason: opts.reason,
        })) as { operator: unknown };
        cli.print(`operator ${name} revoked`, { revoked: name, operator: body.operator });
        return;
      }
      const admins = await cli.withOperators(async (ops) => {
        const admins = hasAdmins(await ops.list());
        await ops.revokeDirect(name, cli.actor(), { breakGlass: opts.breakGlass === true }, opts.reason);
        return admins;
      });
      if (admins) cli.breakGlassWarning(`operators revoke ${name}`);
      cli.print(`operator ${name} revoked`, { revoked: name, ...(admins ? { breakGlass: true } : {}) });
    });
}
