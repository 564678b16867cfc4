/**
 * A Lifeline on a virtual clock, for attacks that need many TOTP codes from one operator: each
 * code spends a 30-s step, so the test moves the clock instead of waiting.
 */
import type { TestContext } from 'node:test';
import { generate } from 'otplib';
import pino from 'pino';
import { type App, createApp } from '../../src/app.ts';
import type { Config, DeepPartial } from '../../src/config/index.ts';
import { tempDir, testConfig } from '../helpers.ts';

export interface Clocked {
  app: App;
  config: Config;
  dataDir: string;
  playerUrl: string;
  adminUrl: string;
  /** Moves the virtual clock forward. */
  advance(ms: number): void;
  now(): number;
}

/** Real time plus an offset the test moves, so sockets and timers still run. */
export async function startClocked(
  t: TestContext,
  options: { dataDir?: string; overrides?: DeepPartial<Config>; offset?: { ms: number } } = {},
): Promise<Clocked> {
  const dataDir = options.dataDir ?? tempDir(t);
  const config = testConfig(dataDir, options.overrides);
  const offset = options.offset ?? { ms: 0 };
  const now = () => Date.now() + offset.ms;
  const app = await createApp({ config, logger: pino({ level: 'silent' }), clock: now });
  const { playerUrl, adminUrl } = await app.listen();
  t.after(() => app.close());
  return {
    app,
    config,
    dataDir,
    playerUrl,
    adminUrl,
    advance: (ms) => {
      offset.ms += ms;
    },
    now,
  };
}

/** An operator's authenticator on the virtual clock: `code()` is the code for the clock's now. */
export function authenticator(otpauthUri: string, now: () => number): () => Promise<string> {
  const secret = new URL(otpauthUri).searchParams.get('secret') as string;
  return () => generate({ secret, epoch: Math.floor(now() / 1000) });
}

/** A six-digit code that is not `code`. */
export function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}
