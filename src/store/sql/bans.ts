/** Bans: one in force per player, and a ban ends the player's grants with it. */
import type { Ban, BanQuery } from '../../bans/records.ts';
import { toBan } from '../rows.ts';
import type { Sql } from './driver.ts';

export async function banPlayer({ d, q }: Sql, b: Ban): Promise<boolean> {
  return d.tx(async (t) => {
    // An expired ban still holds the one-in-force slot until closed: closed here, as it ended.
    await t.run(q.banCloseExpired, [b.playerId, b.at]);
    // The partial unique index decides between two nodes banning the same player at once.
    if ((await t.run(q.banInsert, [b.id, b.playerId, b.reason, b.bannedBy, b.at, b.expiresAt])) === 0)
      return false;
    await t.run(q.grantRevokePlayer, [b.at, 'banned', b.playerId]);
    return true;
  });
}

export async function liftBan(
  { d, q }: Sql,
  playerId: string,
  lift: { at: number; by: string; reason: string },
) {
  const r = await d.one(q.banLift, [lift.at, lift.by, lift.reason, playerId]);
  return r ? toBan(r) : null;
}

export async function listBans({ d, q }: Sql, b: BanQuery): Promise<Ban[]> {
  const ids = b.playerIds === undefined ? null : d.list(b.playerIds);
  const after = [b.after?.at ?? null, b.after?.id ?? ''];
  return (await d.all(q.banList, [ids, ...after, b.limit ?? 1000, b.activeAt])).map(toBan);
}
