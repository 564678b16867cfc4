/**
 * The operators a drill acts as: admins bootstrapped with the CLI on the drill's store, as a
 * studio would (`lifeline operators add`), each with its TOTP secret so the drill can step up and
 * approve. A TOTP code is spent once per 30-s step, so guarded actions rotate through a pool.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { generate } from 'otplib';
import { type DrillNode, nodeEnv } from './nodes.ts';

const mainTs = join(import.meta.dirname, '..', '..', 'main.ts');

export interface DrillOperator {
  name: string;
  token: string;
  secret: string;
  /** The last 30-s TOTP step this operator spent. */
  lastStep: number;
}

/**
 * Only there so that a CLI that hangs cannot hang the drill: a machine at load 20+ has taken over
 * a minute to start three of them at once (each loads the whole app), which is not a failure.
 */
const cliGivesUpMs = 300_000;

function cli(node: DrillNode, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [mainTs, ...args],
      { cwd: node.dataDir, env: nodeEnv(node), timeout: cliGivesUpMs },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const why = err.killed ? `still running after ${cliGivesUpMs / 1000} s, ended` : err.message;
        reject(new Error(`lifeline ${args.join(' ')}: ${stderr || stdout || why}`));
      },
    );
  });
}

async function addAdmin(node: DrillNode, name: string, breakGlass: boolean): Promise<DrillOperator> {
  const extra = breakGlass ? ['--break-glass'] : [];
  const out = await cli(node, ['--json', 'operators', 'add', name, '--role', 'admin', ...extra]);
  const body = JSON.parse(out) as { token: string; otpauthUri: string };
  const secret = new URL(body.otpauthUri).searchParams.get('secret') ?? '';
  return { name, token: body.token, secret, lastStep: -1 };
}

/** Adds `count` admins through the CLI's direct commands, before any node serves. */
export async function bootstrapOperators(node: DrillNode, count: number): Promise<DrillOperator[]> {
  // The first admin is the bootstrap; the rest are break-glass adds (audited as such), together.
  const first = await addAdmin(node, 'drill-admin-1', false);
  const rest = await Promise.all(
    Array.from({ length: count - 1 }, (_, i) => addAdmin(node, `drill-admin-${i + 2}`, true)),
  );
  return [first, ...rest];
}

/**
 * A TOTP code from an operator that has not spent this step's, skipping `not`. Waits for the next
 * step only when every operator has spent the current one.
 */
export async function stepUp(
  ops: readonly DrillOperator[],
  not?: DrillOperator,
): Promise<{ op: DrillOperator; totp: string }> {
  for (;;) {
    const step = Math.floor(Date.now() / 30_000);
    const op = ops.find((o) => o !== not && o.lastStep < step);
    if (op) {
      op.lastStep = step;
      return { op, totp: await generate({ secret: op.secret }) };
    }
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 50));
  }
}
