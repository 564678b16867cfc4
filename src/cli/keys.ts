/**
 * `lifeline keys`: the token keys in the record store. Direct commands: they open the store (and
 * the KEK) themselves; running nodes pick the new keys up on their own.
 */
import type { Command } from 'commander';
import { openSealer, openStore } from '../app.ts';
import { KEY_PICKUP_MS, rotateKeys } from '../tokens/index.ts';
import type { CliContext } from './context.ts';

/** What the keys commands need of the CLI around them. */
export type KeysCliContext = Pick<CliContext, 'config' | 'withStore' | 'print' | 'actor'>;

export function keysCommands(program: Command, ctx: KeysCliContext): void {
  const keys = program.command('keys').description('[direct] the keys that sign and MAC player tokens');
  rotateCommand(keys, ctx);
  listCommand(keys, ctx);
}

function rotateCommand(keys: Command, ctx: KeysCliContext): void {
  keys
    .command('rotate')
    .description(
      `[direct] add a new signing key (of tokens.algorithm) and MAC key; nodes use them within ${KEY_PICKUP_MS / 1000}s, and tokens under older keys keep working until they expire`,
    )
    .option(
      '--retire-previous',
      'retire every older key now (a key believed stolen): tokens they made stop working, players log in again',
    )
    .action(async (opts: { retirePrevious?: boolean }) => {
      const config = ctx.config();
      // Opened before the store: a missing or wrong KEK stops here, before anything is written.
      const sealer = openSealer(config);
      const rotation = await ctx.withStore(async ({ store, audit }) => {
        await audit.append({
          actor: ctx.actor(),
          action: 'keys.rotate',
          target: 'tokens',
          details: { algorithm: config.tokens.algorithm, retirePrevious: opts.retirePrevious === true },
          result: 'accepted',
        });
        return rotateKeys(store, sealer, {
          ...config.tokens,
          now: Date.now(),
          retirePrevious: opts.retirePrevious === true,
        });
      });
      const retired = [...rotation.retiredSigning, ...rotation.retiredMac];
      ctx.print(
        [
          `signing key ${rotation.signing.kid} (${rotation.signing.alg}) and MAC key ${rotation.mac.kid} added`,
          retired.length > 0
            ? `retired: ${retired.join(', ')}`
            : 'retired: none (older keys verify until their tokens expire)',
        ].join('\n'),
        rotation,
      );
    });
}

function listCommand(keys: Command, ctx: KeysCliContext): void {
  keys
    .command('list')
    .description('[direct] list the token keys (ids, algorithms, ages; never the keys)')
    .action(async () => {
      const store = await openStore(ctx.config());
      try {
        const signing = (await store.signingKeys()).map((k) => ({
          kind: 'signing',
          kid: k.kid,
          alg: k.alg,
          createdAt: k.createdAt,
          retiredAt: k.retiredAt,
        }));
        const mac = (await store.macKeys()).map((k) => ({
          kind: 'mac',
          kid: k.kid,
          alg: 'HS256',
          createdAt: k.createdAt,
          retiredAt: k.retiredAt,
        }));
        const rows = [...signing, ...mac];
        ctx.print(
          rows
            .map(
              (r) =>
                `${r.kind}\t${r.kid}\t${r.alg}\t${new Date(r.createdAt).toISOString()}${r.retiredAt === null ? '' : `\t${r.retiredAt > Date.now() ? 'retires' : 'retired'} ${new Date(r.retiredAt).toISOString()}`}`,
            )
            .join('\n') || '(no keys yet: the first start creates them)',
          { keys: rows },
        );
      } finally {
        await store.close();
      }
    });
}
