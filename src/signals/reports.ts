/**
 * Player reports (`POST /v1/reports`): a player saying "something is wrong". Each accepted
 * report is announced as `report.received`; the player-reports detector counts them per step,
 * pooled. Reports are not stored one by one: a surge is the signal, and the signal is stored.
 */
import type { EventStream } from '../events/index.ts';

/** What a player may say a report is about. */
export const reportCategories = ['login', 'disconnect', 'lag', 'entitlement', 'purchase', 'other'] as const;
export type ReportCategory = (typeof reportCategories)[number];

export interface PlayerReport {
  category: ReportCategory;
  region?: string;
  shard?: string;
  /** Free text, bounded and without control characters by the route's schema. */
  text?: string;
}

export interface PlayerReportsDeps {
  events: EventStream;
  /** The player's own bucket, once a token proves who they are. */
  forPlayer: (playerId: string) => Promise<void>;
  /** The player an access token names; throws a coded token error when it does not verify. */
  playerOf: (accessToken: string) => Promise<string>;
}

export class PlayerReports {
  readonly #d: PlayerReportsDeps;

  constructor(deps: PlayerReportsDeps) {
    this.#d = deps;
  }

  /** Takes one report; with an access token, the player's own limit applies too. */
  async report(report: PlayerReport, accessToken?: string): Promise<void> {
    if (accessToken !== undefined) await this.#d.forPlayer(await this.#d.playerOf(accessToken));
    this.#d.events.emit('report.received', {
      category: report.category,
      ...(report.region === undefined ? {} : { region: report.region }),
      ...(report.shard === undefined ? {} : { shard: report.shard }),
    });
  }
}
