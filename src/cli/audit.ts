/** `lifeline audit`: the hash-chained audit log, read from the store and the anchors directly. */
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  exportAudit,
  PUBLIC_KEY_FILE,
  readPublicKeyFile,
  verifyExport,
  verifyWithSettings,
} from '../audit/index.ts';
import type { CliContext } from './context.ts';
import { auditListCommand } from './lists.ts';
import { parseCheckpoint, parseWhen } from './parse.ts';

export function auditCommands(program: Command, cli: CliContext): void {
  const audit = program.command('audit').description('[direct] the hash-chained audit log');
  verifyCommand(audit, cli);
  exportCommand(audit, cli);
  auditListCommand(audit, cli);
  audit
    .command('verify-export')
    .description('[offline] check an export: its manifest signature, its digest and the chain inside it')
    .argument('<manifest>', 'the ….manifest.json file')
    .option(
      '--public-key <file>',
      'the audit public key you pinned (PEM); default: audit-key.pub in the configured anchor directory',
    )
    .action(async (manifestFile: string, opts: { publicKey?: string }) => {
      const keyFile = opts.publicKey ?? join(cli.config().audit.anchor.dir, PUBLIC_KEY_FILE);
      const result = await verifyExport(manifestFile, readPublicKeyFile(keyFile));
      cli.print(result.message, result);
      if (!result.ok) cli.fail();
    });
}

function verifyCommand(audit: Command, cli: CliContext): void {
  audit
    .command('verify')
    .description(
      '[direct] walk the whole chain against the anchored checkpoints; exit 1 naming the first bad or missing seq',
    )
    .option(
      '--checkpoint <seq:hash>',
      "a head kept earlier (an export's chainHead); checked like a checkpoint",
    )
    .option(
      '--public-key <file>',
      'the audit public key you pinned (PEM); default: audit-key.pub in the anchor directory',
    )
    .option(
      '--anchor <dir>',
      'another anchor directory to read checkpoints from (repeatable; its own audit-key.pub)',
      (dir: string, dirs: string[]) => [...dirs, dir],
      [] as string[],
    )
    .action(async (opts: { checkpoint?: string; publicKey?: string; anchor: string[] }) => {
      const checkpoint = opts.checkpoint ? parseCheckpoint(opts.checkpoint) : undefined;
      const cfg = cli.config();
      const pinned = opts.publicKey === undefined ? undefined : readPublicKeyFile(opts.publicKey);
      const anchors = [
        { dir: cfg.audit.anchor.dir, ...(pinned ? { publicKey: pinned } : {}) },
        ...opts.anchor.map((dir) => ({ dir })),
      ];
      // Only public keys are needed: an auditor without the KEK can run this.
      const result = await cli.withStore(
        ({ audit }) => verifyWithSettings(audit, cfg.audit, anchors, checkpoint),
        false,
      );
      cli.print(result.message, result);
      if (!result.ok) cli.fail();
    });
}

function exportCommand(audit: Command, cli: CliContext): void {
  audit
    .command('export')
    .description('[direct] write entries as JSONL plus a manifest holding the chain head')
    .option('--from <time>', 'ISO time or epoch ms (default: the beginning)')
    .option('--to <time>', 'ISO time or epoch ms (default: now)')
    .option('--out <dir>', 'directory to write into', '.')
    .action(async (opts: { from?: string; to?: string; out: string }) => {
      const from = opts.from === undefined ? undefined : parseWhen(opts.from, '--from');
      const to = opts.to === undefined ? undefined : parseWhen(opts.to, '--to');
      const written = await cli.withStore(({ audit, anchoring }) =>
        exportAudit(audit, { from, to, dir: opts.out, ...(anchoring ? { signer: anchoring.signer } : {}) }),
      );
      cli.print(
        `wrote ${written.manifest.count} entries to ${written.file}\nmanifest ${written.manifestFile} (signed by audit key ${written.manifest.signature?.key})`,
        written,
      );
    });
}
