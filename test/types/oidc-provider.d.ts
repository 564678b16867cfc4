/**
 * The little of oidc-provider the console's browser test uses (the package ships no types; the
 * DefinitelyTyped ones lag its major versions).
 */
declare module 'oidc-provider' {
  import type { Server } from 'node:http';

  interface Account {
    accountId: string;
    claims: () => Promise<Record<string, unknown>>;
  }

  export default class Provider {
    constructor(
      issuer: string,
      configuration: Record<string, unknown> & {
        findAccount?: (ctx: unknown, id: string) => Promise<Account | undefined>;
      },
    );
    listen(port: number, host: string): Server;
  }
}
