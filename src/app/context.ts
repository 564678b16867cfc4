import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Fetch, HostResolver } from '../dns/index.ts';
import type { EventStream } from '../events/index.ts';
import type { Lifecycle } from './lifecycle.ts';

/** What every step of the composition root is given. */
export interface Context {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly events: EventStream;
  /** Where each step registers what it opened, to be closed in reverse. */
  readonly life: Lifecycle;
  /** How upstream hostnames resolve (`dns` in the config): the fetch every upstream client calls with. */
  readonly dns: { readonly resolver: HostResolver; readonly fetch: Fetch };
}
