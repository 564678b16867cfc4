/**
 * One virtual player: arrives when the curve wants it, logs in (with its playerId or a minted ID
 * token), holds the control socket and pings it at the nodes' heartbeat, lets its client refresh
 * and reconnect, rejoins with the resume token after a kick, logs in again after a session it
 * cannot resume, and leaves when the curve wants fewer online. Every session restart uses a new
 * client (rejoin and login need only the resume token or the credential); the old one is retired,
 * its waits and requests aborted, so nothing it scheduled runs on.
 *
 * Outages: from losing (or failing to get) a session the player wanted, to its next welcome; each
 * also says when the request that brought the player back was sent (`Outage.backSentAt`).
 */
import { LifelineApiError, LifelineClient } from '../../sdk/index.ts';
import { seededRandom } from '../random.ts';
import type { Family } from './meter.ts';
import { naiveOptions } from './naive.ts';
import type { Seat } from './roster.ts';
import type { Outage } from './types.ts';
import { type WireListener, type World, wiredFetch, wiredSocket } from './wire.ts';

type State = 'idle' | 'joining' | 'online' | 'dropped' | 'rejoining' | 'refused';

/** Answers that mean the session is gone for good (a refresh or reconnect cannot bring it back). */
const authCodes = new Set(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'REFRESH_REUSED', 'SESSION_ENDED']);
const deniedCodes = new Set(['ENTITLEMENT_NONE', 'ENTITLEMENT_UNAVAILABLE']);
/** Consecutive failed sockets (or requests) before the player asks what became of its session (or node). */
const FAILS_BEFORE_RECOVERY = 3;

interface Held {
  client: LifelineClient;
  abort: AbortController;
  /** A refresh the player asked for is in flight. */
  recovering: boolean;
  /** The client's refresh in flight, whoever started it: a second caller shares it. */
  refreshing: Promise<unknown> | null;
}

export class Player implements WireListener {
  readonly seat: Seat;
  readonly #w: World;
  readonly #random: () => number;
  #state: State = 'idle';
  #epoch = 0;
  #life = new AbortController();
  #held: Held | null = null;
  #outage: Outage | null = null;
  #node: number;
  #netFails = 0;
  #socketFails = 0;
  #dropped = false;
  #revokeReason: unknown;
  /** When the request whose answer gave the player its current session went out (scenario s), if one did during the outage. */
  #gaveSentAt: number | null = null;
  /** The earliest session request since the last answer whose own answer never came. */
  #unansweredSentAt: number | null = null;
  /** When the latest control socket's upgrade went out. */
  #upgradeSentAt = 0;

  constructor(seat: Seat, w: World) {
    this.seat = seat;
    this.#w = w;
    this.#node = seat.node;
    this.#random = seededRandom((w.plan.seed * 7919 + seat.rank * 104_729) >>> 0);
  }

  get rank(): number {
    return this.seat.rank;
  }

  get state(): State {
    return this.#state;
  }

  get homeUrl(): string {
    return this.#w.plan.nodes[this.seat.node] as string;
  }

  get nodeUrl(): string {
    return this.#w.plan.nodes[this.#node] as string;
  }

  /** The curve wants this player online: log in, after a think time when `thinkFirst`. */
  arrive(thinkFirst: boolean): void {
    const epoch = ++this.#epoch;
    this.#life = new AbortController();
    this.#state = 'joining';
    const wait = thinkFirst ? this.#thinkMs() : 0;
    this.#w.timers.sleep(wait, this.#life.signal, 'arrival').then(
      () => this.#join(epoch),
      () => {},
    );
  }

  /** The curve wants one fewer online: this player quits the game (an outage still open ends as left). */
  leave(): void {
    this.#epoch++;
    this.#life.abort();
    this.#retire();
    this.#state = 'idle';
    if (this.#outage) this.#w.meter.left(this.#outage);
    this.#outage = null;
  }

  /** The fleet stops: everything is cut, outages stay as they are (still out at the end). */
  stop(): void {
    this.#epoch++;
    this.#life.abort();
    this.#retire();
  }

  ping(): void {
    try {
      this.#held?.client.ping();
    } catch {
      // A socket between states: the next heartbeat tries again.
    }
  }

  quoted(etaSeconds: number): void {
    this.#w.meter.loginQuoted(this.seat.id, etaSeconds);
  }

  answered(family: Family | null, outcome: string, sentAt: number): void {
    if (outcome === 'NETWORK') this.#networkFailed();
    else this.#netFails = 0;
    if (family !== null) this.#sessionAnswer(outcome, sentAt);
    if (family !== 'logins' && family !== 'rejoins') return;
    if (outcome === 'ok' || outcome === 'queued' || outcome === 'waiting') return;
    if (family === 'logins' && this.seat.owner && deniedCodes.has(outcome))
      this.#w.meter.ownerDenied(this.seat.id);
    if (outcome === 'PLAYER_BANNED' || (!this.seat.owner && outcome === 'ENTITLEMENT_NONE')) return;
    if (this.#state !== 'online') this.#out(`${family === 'logins' ? 'login' : 'rejoin'}:${outcome}`);
  }

  upgrading(sentAt: number): void {
    this.#upgradeSentAt = sentAt;
  }

  /**
   * A login, refresh or rejoin was answered: an `ok` gave the player a session, sent when this one
   * was, or when the first since the last answer whose answer never came was (Lifeline may have
   * given the session then and the answer been lost). Any other answer (an error, queued, waiting)
   * says no session was given.
   */
  #sessionAnswer(outcome: string, sentAt: number): void {
    if (outcome === 'NETWORK') this.#unansweredSentAt ??= sentAt;
    else {
      if (outcome === 'ok') this.#gaveSentAt = this.#unansweredSentAt ?? sentAt;
      this.#unansweredSentAt = null;
    }
  }

  /**
   * Requests to this node keep failing at the network: try the next node up (others share the
   * state), and tell the fleet's load balancer, so that players arriving meanwhile go elsewhere.
   */
  #networkFailed(): void {
    if (++this.#netFails < FAILS_BEFORE_RECOVERY || this.#w.plan.nodes.length < 2) return;
    this.#netFails = 0;
    this.#w.nodes.markDown(this.#node);
    this.#node = this.#w.nodes.pick((this.#node + 1) % this.#w.plan.nodes.length);
  }

  #thinkMs(): number {
    const { min, max } = this.#w.plan.thinkSeconds;
    return ((min + this.#random() * (max - min)) * 1000) / this.#w.plan.timeScale;
  }

  #out(cause: string): void {
    if (this.#outage) return;
    this.#outage = this.#w.meter.out(this.seat.id, cause);
    // A session given before the outage is not what ends it (a request still in flight is kept).
    this.#gaveSentAt = null;
  }

  #stale(epoch: number): boolean {
    return epoch !== this.#epoch || this.#w.stopped;
  }

  /** A new client for a new session; the one before is retired. */
  #fresh(): Held {
    this.#retire();
    const abort = new AbortController();
    const w = this.#w;
    const fetch = wiredFetch(w, this, abort.signal);
    const client = new LifelineClient({
      baseUrl: this.homeUrl,
      fetch,
      WebSocket: wiredSocket(w, this),
      sleep: (ms: number) => w.timers.pause(ms, abort.signal),
      // A failure of a refresh the player started is the player's to handle (see #recover).
      onRefreshError: (err: unknown) => {
        if (!held.recovering) this.#refreshFailed(held, err);
      },
      random: this.#random,
      ...(w.plan.client === 'naive' ? naiveOptions(fetch, w.plan.naiveRetryMs ?? 100) : {}),
    });
    const held: Held = { client, abort, recovering: false, refreshing: null };
    // One refresh at a time per client: the client's own (on its timer) and the player's share one
    // request, as two with the same refresh token would be a reuse, which revokes the session.
    const refresh = client.refresh.bind(client);
    client.refresh = () => {
      held.refreshing ??= refresh().finally(() => {
        held.refreshing = null;
      });
      return held.refreshing as ReturnType<typeof refresh>;
    };
    this.#held = held;
    return held;
  }

  #retire(): void {
    const held = this.#held;
    this.#held = null;
    this.#w.online.delete(this);
    if (!held) return;
    held.abort.abort();
    held.client.close();
  }

  async #credential(signal: AbortSignal): Promise<{ playerId: string } | { idToken: string }> {
    const c = this.#w.plan.credential;
    if (c.kind === 'playerId') return { playerId: this.seat.id };
    const answer = await this.#w.pool.send(`${c.issuerControlUrl.replace(/\/$/, '')}/_lab/mint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: this.seat.id }),
      signal,
    });
    const idToken = (JSON.parse(answer.body.toString()) as { idToken?: unknown }).idToken;
    if (answer.status !== 200 || typeof idToken !== 'string') throw new Error('MINT_FAILED');
    return { idToken };
  }

  async #join(epoch: number): Promise<void> {
    if (this.#stale(epoch)) return;
    this.#state = 'joining';
    // A login goes where the load balancer sends it: not to a node known dead.
    if (this.#w.nodes.isDown(this.#node)) this.#node = this.#w.nodes.pick(this.#node);
    const held = this.#fresh();
    const { region, shard } = this.seat;
    this.#w.meter.loginStarted(this.seat.id);
    try {
      const credential = await this.#credential(held.abort.signal);
      const tokens = await held.client.login({ ...credential, region, shard });
      if (this.#stale(epoch)) return;
      this.#w.meter.loginDone(this.seat.id);
      this.#checkLicence(tokens.accessToken);
      this.#joinGame(held);
    } catch (err) {
      if (!this.#stale(epoch)) this.#loginFailed(epoch, err);
      return;
    }
    this.#connect(held, epoch);
  }

  #loginFailed(epoch: number, err: unknown): void {
    const code = err instanceof LifelineApiError ? err.code : err instanceof Error ? err.message : 'NETWORK';
    if (code === 'PLAYER_BANNED' || (!this.seat.owner && code === 'ENTITLEMENT_NONE')) {
      // Rightly refused: the player gives up until it leaves; a ban is the operator's, not an outage.
      this.#state = 'refused';
      this.#retire();
      if (this.#outage) this.#w.meter.left(this.#outage);
      this.#outage = null;
      return;
    }
    this.#out(`login:${code}`);
    this.#later(epoch, () => this.#join(epoch));
  }

  /** After a think time, unless the player left (or the fleet stopped) meanwhile. */
  #later(epoch: number, then: () => void): void {
    this.#w.timers.sleep(this.#thinkMs(), this.#life.signal).then(
      () => {
        if (!this.#stale(epoch)) then();
      },
      () => {},
    );
  }

  /** With a session in hand, the player joins the game backend once (fire and forget, counted). */
  #joinGame(held: Held): void {
    const url = this.#w.plan.gameJoinUrl;
    if (url === undefined) return;
    const w = this.#w;
    w.pool.send(url, { method: 'GET', signal: held.abort.signal }).then(
      (a) => {
        if (!w.stopped) w.meter.count('gameJoins', a.status === 200 ? 'ok' : `HTTP_${a.status}`);
      },
      () => {
        if (!w.stopped && !held.abort.signal.aborted) w.meter.count('gameJoins', 'NETWORK');
      },
    );
  }

  /** An owner whose token carries the licence that means "owns nothing" was denied all the same. */
  #checkLicence(accessToken: string): void {
    const none = this.#w.plan.noLicence;
    if (!this.seat.owner || none === undefined) return;
    try {
      const claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString());
      if ((claims as { lic?: unknown }).lic === none) this.#w.meter.ownerDenied(this.seat.id);
    } catch {
      // Not a JWT: nothing to read.
    }
  }

  #connect(held: Held, epoch: number): void {
    held.client.connect({
      onMessage: (m) => {
        if (this.#held !== held || this.#stale(epoch)) return;
        if (m.type === 'welcome') this.#welcomed(m);
        else if (m.type === 'revoked') this.#revokeReason = m.reason;
      },
      onClose: (code) => {
        if (this.#held === held && !this.#stale(epoch)) this.#closed(held, epoch, code);
      },
    });
  }

  #welcomed(m: Record<string, unknown>): void {
    if (typeof m.heartbeatIntervalSeconds === 'number' && m.heartbeatIntervalSeconds > 0)
      this.#w.heartbeatSeconds = m.heartbeatIntervalSeconds;
    if (this.#dropped) this.#w.meter.reconnect();
    this.#dropped = false;
    this.#socketFails = 0;
    this.#state = 'online';
    this.#w.online.add(this);
    // Back on a session a request gave during the outage, else on the same session through this socket.
    if (this.#outage) this.#w.meter.back(this.#outage, this.#gaveSentAt ?? this.#upgradeSentAt);
    this.#outage = null;
  }

  #closed(held: Held, epoch: number, code: number): void {
    const w = this.#w;
    w.meter.count('closes', String(code));
    w.online.delete(this);
    if (code === 4001) {
      this.#out('close:4001');
      // Missed the kick's message: a refresh answers SESSION_ENDED with the resume token.
      if (held.client.resumeToken === null) void this.#recover(held, epoch, false);
      else this.#rejoin(epoch, held.client.resumeToken);
    } else if (code === 4003) this.#revoked(held, epoch);
    else if (code === 4005) this.#lost(epoch, 'close:4005');
    else if (code === 4004) this.#connect(held, epoch);
    else {
      // Dropped: the client reconnects by itself; after a few failures, ask what became of the session.
      this.#out(`close:${code}`);
      this.#state = 'dropped';
      this.#dropped = true;
      // The client reconnects to this player's node: another one, if the balancer knows it dead.
      if (w.nodes.isDown(this.#node)) this.#node = w.nodes.pick(this.#node);
      if (++this.#socketFails >= FAILS_BEFORE_RECOVERY) {
        this.#socketFails = 0;
        void this.#recover(held, epoch, true);
      }
    }
  }

  #revoked(held: Held, epoch: number): void {
    const reason = this.#revokeReason;
    this.#revokeReason = undefined;
    if (reason === 'banned') {
      this.#state = 'refused';
      this.#retire();
      return;
    }
    if (reason === 'refresh-reuse') {
      this.#lost(epoch, 'close:4003');
      return;
    }
    this.#out('close:4003');
    void this.#recover(held, epoch, false);
  }

  /** A session ended not by an operator and not resumable: counted lost, then log in again. */
  #lost(epoch: number, cause: string): void {
    this.#w.meter.sessionLost();
    this.#out(cause);
    this.#retire();
    this.#state = 'joining';
    this.#later(epoch, () => this.#join(epoch));
  }

  /**
   * Refreshes to learn what became of the session: still valid (reconnect, or let the client's own
   * reconnect carry on), ended by a disruption (rejoin with the resume token), or gone (lost).
   */
  async #recover(held: Held, epoch: number, reconnecting: boolean): Promise<void> {
    if (held.recovering) return;
    // Joining the client's own refresh: its failure reaches onRefreshError, not here.
    const joined = held.refreshing !== null;
    held.recovering = !joined;
    let failure: unknown;
    let ok = false;
    try {
      await held.client.refresh();
      ok = true;
    } catch (err) {
      failure = err;
    }
    held.recovering = false;
    if (this.#held !== held || this.#stale(epoch)) return;
    if (!ok) {
      if (!joined) this.#refreshFailed(held, failure);
    } else if (!reconnecting) this.#connect(held, epoch);
  }

  #refreshFailed(held: Held, err: unknown): void {
    const epoch = this.#epoch;
    if (this.#held !== held || this.#stale(epoch)) return;
    if (err instanceof LifelineApiError && held.client.resumeToken !== null) {
      this.#out(`refresh:${err.code}`);
      this.#rejoin(epoch, held.client.resumeToken);
    } else if (err instanceof LifelineApiError && authCodes.has(err.code)) {
      this.#lost(epoch, `refresh:${err.code}`);
    } else {
      // Spent its retries or the network failed: the session still stands; try again later.
      this.#later(epoch, () => void this.#recover(held, epoch, true));
    }
  }

  #rejoin(epoch: number, resumeToken: string | null): void {
    if (resumeToken === null) {
      this.#lost(epoch, 'close:no-resume-token');
      return;
    }
    this.#state = 'rejoining';
    const held = this.#fresh();
    held.client.rejoin(resumeToken).then(
      () => {
        if (this.#held !== held || this.#stale(epoch)) return;
        this.#joinGame(held);
        this.#connect(held, epoch);
      },
      (err: unknown) => {
        if (this.#held !== held || this.#stale(epoch)) return;
        // Refused (expired, banned, a newer session) after an operator's kick: log in again.
        if (err instanceof LifelineApiError) this.#later(epoch, () => this.#join(epoch));
        else this.#later(epoch, () => this.#rejoin(epoch, resumeToken));
      },
    );
  }
}
