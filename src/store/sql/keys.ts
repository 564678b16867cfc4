/** Signing and MAC keys: the first key is written once, whichever node gets there first. */
import type { MacKey, SigningKey } from '../../tokens/records.ts';
import type { Sql } from './driver.ts';

/** Under READ COMMITTED two nodes would both see no key and both insert: the lock orders them. */
export async function addFirstKey({ d }: Sql, statement: string, params: readonly unknown[]): Promise<void> {
  await d.tx(async (t) => {
    await t.lock('keys');
    await t.run(statement, params);
  });
}

export const signingKeyParams = (k: SigningKey): unknown[] => [k.kid, k.sealedKey, k.alg, k.createdAt];
export const macKeyParams = (k: MacKey): unknown[] => [k.kid, k.sealedKey, k.createdAt];

export async function retireKeys({ d }: Sql, statement: string, kids: readonly string[], at: number) {
  if (kids.length === 0) return;
  await d.run(statement, [d.list(kids), at]);
}
