/**
 * Key names. Every key is `${prefix}{lifeline}:...`: the single hash tag `{lifeline}` puts every
 * key of a deployment in one cluster slot, because the scripts touch several keys atomically and
 * some are only known inside a script (the old player's set on a re-put, the player set of each
 * ended session), which Redis Cluster allows only within the script's slot. The cost is that one
 * deployment's live state lives on one shard; a prefix must not itself contain `{`, or its braces
 * would become the hash tag.
 */
export class Keys {
  /** `${prefix}{lifeline}:`, the start of every key and channel. */
  readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}{lifeline}:`;
  }

  /** set: every live session id */
  get sessions(): string {
    return `${this.base}sessions`;
  }
  /** zset: session id -> lastSeenAt (authoritative; touch only writes here) */
  get seen(): string {
    return `${this.base}seen`;
  }
  /** hash: region -> live sessions (no field at 0) */
  get byRegion(): string {
    return `${this.base}count:region`;
  }
  /** hash: shard -> live sessions (no field at 0) */
  get byShard(): string {
    return `${this.base}count:shard`;
  }
  /** set: nodes that have held sessions (left once a lost node's are all ended) */
  get nodes(): string {
    return `${this.base}nodes`;
  }
  /** zset: node -> alive until (the caller's clock) */
  get presence(): string {
    return `${this.base}presence`;
  }
  /** zset: the kick window, score = time, member = `<unique>:<count>` */
  get kicks(): string {
    return `${this.base}kicks`;
  }
  /** zset: admission permits in flight, member = permit id, score = lease end */
  get permits(): string {
    return `${this.base}permits`;
  }
  /** string: the shared admission limit (AIMD, a float) */
  get limit(): string {
    return `${this.base}limit`;
  }
  /** Prefix of `session:<id>`, a string: the session as JSON. */
  get sessionPrefix(): string {
    return `${this.base}session:`;
  }
  /** Prefix of `player:<player>`, a set: that player's live session ids. */
  get playerPrefix(): string {
    return `${this.base}player:`;
  }
  /** Prefix of `holder:<node>`, a set: the session ids that node holds. */
  get holderPrefix(): string {
    return `${this.base}holder:`;
  }
  session(id: string): string {
    return `${this.sessionPrefix}${id}`;
  }
  player(playerId: string): string {
    return `${this.playerPrefix}${playerId}`;
  }
  /** hash: a token bucket (tokens, at) */
  rate(key: string): string {
    return `${this.base}rate:${key}`;
  }
  /** string: the node running that command or restore */
  run(id: string): string {
    return `${this.base}run:${id}`;
  }
  /** pub/sub channel: broadcasts (notices) for every node */
  get broadcast(): string {
    return `${this.base}broadcast`;
  }
  /** pub/sub channel: directives for that node */
  channel(node: string): string {
    return `${this.base}node:${node}`;
  }
  /** The keys (in order) of the scripts that end sessions (see scripts/includes/endOne.lua). */
  get ending(): string[] {
    return [this.sessions, this.byRegion, this.byShard, this.seen];
  }
  /** The prefixes (in order) those scripts take as ARGV[1..3]. */
  get endingPrefixes(): string[] {
    return [this.sessionPrefix, this.playerPrefix, this.holderPrefix];
  }
}
