/**
 * The operators subcommands that go through the admin API: asking for a new operator or a role
 * change (another admin approves), and a new operator redeeming their enrolment.
 */
import { totpEnrolment } from './totp-qr.ts';
import { type Command, Option } from 'commander';
import { roles } from '../operators/records.ts';
import type { CliContext } from './context.ts';

export function operatorRequestCommands(operators: Command, cli: CliContext): void {
  operators
    .command('request <name>')
    .description(
      '[api] ask for a new operator (admin, with TOTP): prints your part of their enrolment to hand over; another admin approves with `lifeline approve` and receives the other part',
    )
    .addOption(new Option('--role <role>', 'role').choices([...roles]).makeOptionMandatory())
    .requiredOption('--totp <code>', 'your TOTP code')
    .option('--reason <text>', 'why; lands in the audit log')
    .action(async (name: string, opts: { role: string; totp: string; reason?: string }) => {
      await cli.askApproval('POST', '/admin/v1/operators', { name, role: opts.role }, opts);
    });
  operators
    .command('set-role <name> <role>')
    .description("[api] ask to change an operator's role (admin, with TOTP); another admin approves")
    .requiredOption('--totp <code>', 'your TOTP code')
    .option('--reason <text>', 'why; lands in the audit log')
    .action(async (name: string, role: string, opts: { totp: string; reason?: string }) => {
      await cli.askApproval('PATCH', `/admin/v1/operators/${encodeURIComponent(name)}`, { role }, opts);
    });
  enrolCommand(operators, cli);
}

function enrolCommand(operators: Command, cli: CliContext): void {
  operators
    .command('enrol <enrolmentToken>')
    .description(
      "[api] redeem your one-time enrolment (the approver's token and the requester's part): prints your operator token and TOTP URI (shown once); needs no --token",
    )
    .requiredOption('--requester-part <part>', 'the part the admin who asked for you handed you')
    .action(async (token: string, opts: { requesterPart: string }) => {
      const body = (await cli.api(
        'POST',
        '/admin/v1/enrol',
        { token, requesterPart: opts.requesterPart },
        false,
      )) as {
        operator: { name: string; role: string };
        token: string;
        otpauthUri: string;
      };
      cli.print(
        [
          `enrolled as ${body.operator.name} (${body.operator.role})`,
          `token (shown once): ${body.token}`,
          totpEnrolment(body.otpauthUri, cli.io.tty === true),
        ].join('\n'),
        body,
      );
    });
}
