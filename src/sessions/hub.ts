import type { SessionDirectory } from '../live/index.ts';
import type { ServerOptions, WebSocket } from 'ws';
import type { EventStream } from '../events/index.ts';
import type { Bus } from '../live/index.ts';
import type { LiveSession } from './records.ts';
import type { Tokens } from '../tokens/index.ts';
import { type Bucket, type SocketLimits, takeToken } from './frame-limits.ts';
import type { Broadcast, Directive } from './directive.ts';
import { type Ending, farewellFor } from './farewell.ts';
import type { ServerMessage } from './protocol.ts';

/** Per-socket state, kept small: a node holds tens of thousands of these. */
class Link implements Bucket {
  readonly hub: SocketHub;
  readonly sessionId: string;
  readonly socket: WebSocket;
  /** Shared strings from the session, for a notice's filter and the per-player rate. */
  readonly playerId: string;
  readonly region: string;
  readonly shard: string;
  lastSeen: number;
  lastTouched: number;
  tokens: number;
  refilledAt: number;
  /** The code this node closed the socket with (0 until then), counted instead of ws's 1006 on a cut. */
  closedWith = 0;

  constructor(hub: SocketHub, session: LiveSession, socket: WebSocket, now: number, burst: number) {
    this.hub = hub;
    this.sessionId = session.id;
    this.playerId = session.playerId;
    this.region = session.region;
    this.shard = session.shard;
    this.socket = socket;
    this.lastSeen = now;
    this.lastTouched = now;
    this.tokens = burst;
    this.refilledAt = now;
  }
}

const linkOf = new WeakMap<WebSocket, Link>();

export interface SocketHubDeps {
  live: SessionDirectory;
  tokens: Tokens;
  bus: Bus;
  events: EventStream;
  nodeId: string;
  clock: () => number;
  heartbeatIntervalSeconds: number;
  heartbeatTimeoutSeconds: number;
  idleTimeoutSeconds: number;
  /** What one socket may send and be owed; see `SocketLimits`. */
  limits: SocketLimits;
  /** Told of each socket dropped for silence (after it is closed). */
  onSilent?: (sessionId: string) => void;
  /**
   * Brings back from its grant a session that left live state while its socket was being
   * attached; true when it is live again (SessionService.resume). Without it the socket closes.
   */
  resume?: (sessionId: string) => Promise<boolean>;
  /**
   * The least time between two notices to one player on this node (ms): a notice that comes
   * sooner is not sent to that player. @defaultValue 0 (no limit)
   */
  noticeIntervalMs?: number;
}

/**
 * Holds this node's control sockets: greets, answers pings, drops silent clients, and carries
 * out directives from the bus (a kick decided on any node reaches the node holding the socket).
 * One sweep timer serves every socket, instead of a timer each.
 */
export class SocketHub {
  readonly #d: SocketHubDeps;
  readonly #links = new Map<string, Link>();
  #sweep: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #unlisten: (() => void) | undefined;
  /** When each player was last sent a notice (ms), for the per-player rate; swept as it lapses. */
  readonly #noticed = new Map<string, number>();
  /** The last notice ids heard, so a notice heard twice is sent once. */
  readonly #heard = new Set<string>();

  constructor(deps: SocketHubDeps) {
    this.#d = deps;
  }

  get size(): number {
    return this.#links.size;
  }

  /**
   * The `ws` server options that enforce this hub's frame rules: a frame over the size limit
   * closes its socket with 1009, invalid UTF-8 with 1007, too many pieces with 1008, and any other
   * protocol error (an unmasked frame, a reserved opcode, RSV1 set, a bad close code) with 1002.
   */
  get serverOptions(): ServerOptions {
    return {
      maxPayload: this.#d.limits.maxMessageBytes,
      // Off, so a compressed frame (RSV1) is a protocol error and no small frame inflates into a
      // large message.
      perMessageDeflate: false,
      skipUTF8Validation: false,
      // A message of a few KiB has no reason to come in many pieces: a message in more than 16
      // fragments, or a frame still incomplete after 64 reads (one byte at a time), closes its
      // socket with 1008 instead of holding a buffer per piece.
      maxFragments: 16,
      maxBufferedChunks: 64,
    };
  }

  start(): void {
    this.#unsubscribe = this.#d.bus.onDirective(this.#d.nodeId, (d) => this.#onDirective(d));
    this.#unlisten = this.#d.bus.onBroadcast((b) => this.announce(b));
    const everyMs = Math.max(250, (this.#d.heartbeatIntervalSeconds * 1000) / 2);
    this.#sweep = setInterval(() => {
      this.#dropSilent();
      void this.#reapIdle().catch(() => {});
    }, everyMs);
    this.#sweep.unref();
  }

  /** Closes every socket (server shutdown); clients reconnect elsewhere or later. */
  stop(): void {
    clearInterval(this.#sweep);
    this.#unsubscribe?.();
    this.#unlisten?.();
    for (const link of [...this.#links.values()]) this.#close(link, { kind: 'going-away' });
  }

  attach(session: LiveSession, socket: WebSocket): void {
    // ws closes a socket that breaks the protocol with the right code by itself, then emits
    // 'error': with no listener, one malformed frame would end the process.
    socket.on('error', ignoreError);
    const d = this.#d;
    const now = d.clock();
    // The session may have been opened through another node, or held by one that drained or
    // died: from now on this node holds its socket, so kicks must be delivered here, and it is
    // no longer the other node's to lose.
    if (session.node !== d.nodeId) {
      void d.live
        .moveSession(session.id, d.nodeId)
        // Ended between the check at upgrade and now. By a kick (the kick went to the old holder,
        // and the grant is revoked): the socket closes. By a lost node's sweep (the player was
        // on its way here; the grant stands): the session comes back, held here.
        .then((live) => live || (d.resume?.(session.id) ?? false))
        .then(
          (live) => {
            const link = this.#links.get(session.id);
            if (!live && link?.socket === socket) this.#close(link, { kind: 'session-ended' });
          },
          () => {},
        );
    }
    const previous = this.#links.get(session.id);
    if (previous) this.#close(previous, { kind: 'replaced' });
    const link = new Link(this, session, socket, now, d.limits.messageBurst);
    this.#links.set(session.id, link);
    d.events.emit('socket.opened');
    // Two listeners shared by every socket, finding their link through the socket, instead of
    // two closures per socket: tens of thousands of sockets make that a measurable saving.
    linkOf.set(socket, link);
    socket.on('message', this.#messageListener);
    // Control frames count against the rate too: ws answers a ping by itself, so a ping flood
    // would otherwise be free to send and cost the node a pong each.
    socket.on('ping', this.#controlListener);
    socket.on('pong', this.#controlListener);
    socket.once('close', this.#closeListener);
    this.#send(link, {
      type: 'welcome',
      sessionId: session.id,
      playerId: session.playerId,
      heartbeatIntervalSeconds: d.heartbeatIntervalSeconds,
      heartbeatTimeoutSeconds: d.heartbeatTimeoutSeconds,
    });
  }

  readonly #messageListener = function (this: WebSocket, data: unknown, isBinary: boolean): void {
    const link = linkOf.get(this);
    if (link) link.hub.#onMessage(link, data, isBinary);
  };

  readonly #controlListener = function (this: WebSocket): void {
    const link = linkOf.get(this);
    if (link) link.hub.#onControl(link);
  };

  readonly #closeListener = function (this: WebSocket, code: number): void {
    const link = linkOf.get(this);
    if (!link) return;
    if (link.hub.#links.get(link.sessionId) === link) link.hub.#links.delete(link.sessionId);
    link.hub.#d.events.emit('socket.closed', { code: link.closedWith || code });
  };

  /**
   * Charges one frame to the socket's bucket. False when the frame is to be ignored: the socket
   * is closing, or the frame was over the rate and has just closed it (4008).
   */
  #admit(link: Link, now: number): boolean {
    if (this.#links.get(link.sessionId) !== link) return false;
    if (takeToken(link, now, this.#d.limits.messagesPerSecond, this.#d.limits.messageBurst)) return true;
    // A normal close: a client that reads gets the code. What it sends until its reply (or ws's
    // close timeout) is read and dropped, so it costs the node no memory.
    this.#close(link, { kind: 'rate-limited' });
    return false;
  }

  /**
   * A ping or pong frame: a sign of life like any frame (docs/API.md, Heartbeat). ws has already
   * answered a ping, so its pong may have filled the buffer.
   */
  #onControl(link: Link): void {
    const now = this.#d.clock();
    if (!this.#admit(link, now)) return;
    link.lastSeen = now;
    this.#checkBuffered(link);
  }

  #onMessage(link: Link, data: unknown, isBinary: boolean): void {
    const now = this.#d.clock();
    if (!this.#admit(link, now)) return;
    link.lastSeen = now;
    let type: unknown;
    try {
      type = isBinary ? undefined : (JSON.parse(String(data)) as { type?: unknown }).type;
    } catch {
      type = undefined;
    }
    if (type !== 'ping') {
      this.#send(link, { type: 'error', code: 'VALIDATION_FAILED', message: 'Send JSON {"type":"ping"}' });
      return;
    }
    this.#send(link, { type: 'pong', at: now });
    // Live state hears of activity at most once per heartbeat interval: with Redis behind it,
    // a write per ping per player would be the largest load on it.
    if (now - link.lastTouched >= this.#d.heartbeatIntervalSeconds * 1000) {
      link.lastTouched = now;
      void this.#d.live
        .touchSession(link.sessionId, now)
        .then((live) => live || this.#endedUntold(link))
        .catch(() => {});
    }
  }

  /**
   * A socket whose session is no longer live, though this node was not told (a kick whose
   * delivery failed, or a survivor's sweep while this node was taken for lost): after a heartbeat
   * interval (a kick's directive is normally on its way: a wave ends its sessions before it
   * delivers), a session whose grant stands comes back, held here, as `reconcile` brings it back;
   * one ended for good is closed as ended.
   */
  #endedUntold(link: Link): void {
    const timer = setTimeout(async () => {
      if (this.#links.get(link.sessionId) !== link) return;
      const d = this.#d;
      const session = await d.live.getSession(link.sessionId).catch(() => undefined);
      if (session !== null) return;
      const resumed = d.resume ? await d.resume(link.sessionId).catch(() => false) : false;
      if (!resumed && this.#links.get(link.sessionId) === link) this.#close(link, { kind: 'session-ended' });
    }, this.#d.heartbeatIntervalSeconds * 1000);
    timer.unref();
  }

  /**
   * Checks the sockets held here against live state after this node's presence lapsed. A session
   * taken out of live state meanwhile (this node taken for lost: its grant stands) comes back,
   * held here, and its socket stays open; one ended for good (a kick or a ban while the lapse
   * hid this node) closes with 4003, so the client refreshes and learns how to rejoin; one now
   * held by another node closes with 4004. Returns how many were closed.
   */
  async reconcile(): Promise<number> {
    const d = this.#d;
    let closed = 0;
    const links = [...this.#links.values()];
    for (let i = 0; i < links.length; i += 500) {
      const batch = links.slice(i, i + 500);
      const sessions = await Promise.all(
        batch.map(async (l) => {
          const s = await d.live.getSession(l.sessionId);
          if (s || !d.resume) return s;
          return (await d.resume(l.sessionId).catch(() => false)) ? d.live.getSession(l.sessionId) : null;
        }),
      );
      batch.forEach((link, j) => {
        if (this.#links.get(link.sessionId) !== link) return;
        const s = sessions[j];
        if (!s) this.#close(link, { kind: 'session-ended' });
        else if (s.node !== d.nodeId) this.#close(link, { kind: 'moved' });
        else return;
        closed++;
      });
    }
    return closed;
  }

  #dropSilent(): void {
    const deadline = this.#d.clock() - this.#d.heartbeatTimeoutSeconds * 1000;
    for (const link of this.#links.values()) {
      if (link.lastSeen < deadline) {
        this.#close(link, { kind: 'heartbeat-timeout' });
        this.#d.onSilent?.(link.sessionId);
      }
    }
  }

  /**
   * Takes sessions nobody has used for the idle timeout out of live state, unless this node
   * holds their socket. Their grant stays: a client that comes back and refreshes is let in.
   */
  async #reapIdle(): Promise<void> {
    const idle = await this.#d.live.idleSessions(this.#d.clock() - this.#d.idleTimeoutSeconds * 1000, 1000);
    const gone = idle.filter((s) => s.node === this.#d.nodeId && !this.#links.has(s.id)).map((s) => s.id);
    if (gone.length > 0) await this.#d.live.endSessions(gone);
  }

  /**
   * Sends a notice to every socket this node holds that matches its regions and shards, except to
   * players sent one less than `noticeIntervalMs` ago; returns how many sockets it was sent to.
   * A notice id heard before is not sent again.
   */
  announce(b: Broadcast): number {
    if (this.#heard.has(b.noticeId)) return 0;
    this.#heard.add(b.noticeId);
    if (this.#heard.size > 256) this.#heard.delete(this.#heard.values().next().value as string);
    const now = this.#d.clock();
    const interval = this.#d.noticeIntervalMs ?? 0;
    for (const [player, at] of this.#noticed) if (at + interval <= now) this.#noticed.delete(player);
    const regions = b.regions.length > 0 ? new Set(b.regions) : null;
    const shards = b.shards.length > 0 ? new Set(b.shards) : null;
    const message: ServerMessage = {
      type: 'announcement',
      id: b.noticeId,
      level: b.level,
      text: b.text,
      at: b.at,
    };
    // The player's sockets on this node all get this notice; the rate applies from the next one.
    const thisRound = new Set<string>();
    let sent = 0;
    for (const link of this.#links.values()) {
      if (regions && !regions.has(link.region)) continue;
      if (shards && !shards.has(link.shard)) continue;
      if (!thisRound.has(link.playerId)) {
        if (interval > 0 && this.#noticed.has(link.playerId)) continue;
        thisRound.add(link.playerId);
        if (interval > 0) this.#noticed.set(link.playerId, now);
      }
      this.#send(link, message);
      sent++;
    }
    this.#d.events.emit('notice.sent', { noticeId: b.noticeId, sockets: sent });
    return sent;
  }

  #onDirective(d: Directive): void {
    const link = this.#links.get(d.sessionId);
    if (link) this.#close(link, d);
  }

  readonly #mint = (disruptionId: string): string =>
    this.#d.tokens.issueResume(disruptionId, this.#d.clock());

  /** Tells the client why (the farewell's last message), then closes with the farewell's code. */
  #close(link: Link, ending: Ending): void {
    const farewell = farewellFor(ending, this.#mint);
    if (!farewell) return;
    if (farewell.message) this.#send(link, farewell.message);
    this.#links.delete(link.sessionId);
    if (link.socket.readyState !== link.socket.OPEN) return;
    link.closedWith = farewell.code;
    link.socket.close(farewell.code, farewell.reason);
  }

  #send(link: Link, message: ServerMessage): void {
    const socket = link.socket;
    if (socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify(message));
    this.#checkBuffered(link);
  }

  /**
   * Cuts a socket whose client has stopped reading. What the kernel's socket buffers take is not
   * counted (it is not the process's memory); `bufferedAmount` is what waits in the process.
   */
  #checkBuffered(link: Link): void {
    if (link.socket.bufferedAmount > this.#d.limits.maxBufferedBytes)
      this.#cut(link, { kind: 'slow-consumer' });
  }

  /**
   * Closes a socket whose client does not read: the close frame is queued behind what it has not
   * read, and the connection is dropped at once with its buffer, not after ws's 30 s wait for a
   * reply that such a client never sends.
   */
  #cut(link: Link, ending: Ending): void {
    if (this.#links.get(link.sessionId) === link) this.#links.delete(link.sessionId);
    const farewell = farewellFor(ending, this.#mint);
    if (!farewell || link.socket.readyState !== link.socket.OPEN) return;
    link.closedWith = farewell.code;
    link.socket.close(farewell.code, farewell.reason);
    link.socket.terminate();
  }
}

function ignoreError(): void {}
