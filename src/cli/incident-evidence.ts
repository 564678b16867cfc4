/** `lifeline incident evidence`: write an incident's evidence archive (direct), or verify one (offline). */
import { join } from 'node:path';
import type { Command } from 'commander';
import { CHECKPOINTS_FILE, readCheckpoints, readPublicKeyFile } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import { collectEvidence } from '../incidents/evidence-collect.ts';
import { verifyEvidence } from '../incidents/evidence.ts';
import type { CliContext } from './context.ts';

interface EvidenceOptions {
  out?: string;
  logFile?: string;
  key?: string;
  anchor?: string[];
}

async function verify(cli: CliContext, archive: string | undefined, o: EvidenceOptions): Promise<void> {
  if (archive === undefined)
    throw new LifelineError('VALIDATION_FAILED', 'Name the archive: incident evidence verify <dir>');
  const key = o.key === undefined ? undefined : readPublicKeyFile(o.key);
  // Checkpoints anchored later than the archive, each anchor's own key signing them.
  const later = (o.anchor ?? []).flatMap(
    (dir) =>
      readCheckpoints(join(dir, CHECKPOINTS_FILE), key ?? readPublicKeyFile(join(dir, 'audit-key.pub')))
        .valid,
  );
  const r = await verifyEvidence(archive, key, later);
  cli.print(
    later.length > 0 && r.ok
      ? `${r.message}; checked against ${later.length} anchored checkpoints`
      : r.message,
    r,
  );
  if (!r.ok) cli.fail();
}

async function write(cli: CliContext, id: string, o: EvidenceOptions): Promise<void> {
  const cfg = cli.config();
  const dir = o.out ?? `incident-${id}-evidence`;
  const manifest = await cli.withStore(async ({ store, audit, anchoring }) => {
    if (!anchoring)
      throw new LifelineError('AUDIT_ANCHOR_INVALID', 'Evidence needs the audit anchor and key');
    const { incidents: s, commands } = cfg;
    return collectEvidence(
      {
        store,
        audit,
        signer: anchoring.signer,
        checkpoint: () => anchoring.checkpointer.flush(),
        anchorDir: cfg.audit.anchor.dir,
        settings: {
          thresholds: { P0: s.p0, P1: s.p1, P2: s.p2 },
          payingLicences: commands.payingLicences,
          revenuePerPayingPlayerHour: s.revenuePerPayingPlayerHour,
          currency: s.currency,
          rtoObjectiveSeconds: s.rtoObjectiveSeconds,
          rpoObjectiveRecords: s.rpoObjectiveRecords,
        },
        clock: Date.now,
        ...(o.logFile === undefined ? {} : { logFile: o.logFile }),
      },
      id,
      dir,
      cli.actor(),
    );
  });
  const left = Object.entries(manifest.notIncluded).map(([k, v]) => `  not included: ${k}: ${v}`);
  cli.print(
    [
      `wrote ${dir}: ${Object.keys(manifest.files).length} files, audit seq ${manifest.audit.firstSeq}..${manifest.audit.lastSeq} linked to the checkpoint at seq ${manifest.checkpoint.seq} (signed by audit key ${manifest.signature?.key})`,
      ...left,
    ].join('\n'),
    { dir, manifest },
  );
}

export function evidenceCommand(incident: Command, cli: CliContext): void {
  incident
    .command('evidence <id> [archive]')
    .description(
      "[direct] write the incident's evidence archive (audit rows to an anchored checkpoint, records, signed manifest); `evidence verify <archive>` checks one [offline]",
    )
    .option('--out <dir>', 'directory to create (default incident-<id>-evidence)')
    .option('--log-file <file>', "this node's JSON-lines log file, to include the window's lines")
    .option('--key <file>', 'verify: the audit public key you pinned (PEM); default the copy in the archive')
    .option(
      '--anchor <dir...>',
      'verify: anchor directories whose later checkpoints the rows must agree with',
    )
    .action(async (id: string, archive: string | undefined, o: EvidenceOptions) => {
      if (id === 'verify') await verify(cli, archive, o);
      else await write(cli, id, o);
    });
}
