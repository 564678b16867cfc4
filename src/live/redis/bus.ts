import type { Broadcast, Bus, Directive } from '../index.ts';
import type { Client } from './client.ts';
import { Keys } from './keys.ts';
import { unavailable } from './unavailable.ts';

/**
 * The bus on Redis pub/sub: a directive for a node is published on `${prefix}{lifeline}:node:<node>`,
 * a broadcast on `${prefix}{lifeline}:broadcast` (subscribed while at least one handler listens).
 * Owns two connections (publish, subscribe); close() quits both. Pub/sub is fire-and-forget: a
 * node that is not subscribed at the moment of delivery never hears the directive.
 */
export class RedisBus implements Bus {
  readonly kind = 'redis';
  readonly #pub: Client;
  readonly #sub: Client;
  readonly #k: Keys;
  readonly #onError: (err: unknown) => void;
  readonly #handlers = new Map<string, (d: Directive) => void>();
  readonly #listeners = new Set<(b: Broadcast) => void>();
  /** Subscribe/unsubscribe calls in flight, in order; deliver waits for them. */
  #pending: Promise<void> = Promise.resolve();

  constructor(pub: Client, sub: Client, prefix: string, onError: (err: unknown) => void) {
    this.#pub = pub;
    this.#sub = sub;
    this.#k = new Keys(prefix);
    this.#onError = onError;
  }

  #channel(node: string): string {
    return this.#k.channel(node);
  }

  #queue(op: () => Promise<unknown>): void {
    this.#pending = this.#pending.then(op).then(
      () => {},
      (err: unknown) => this.#onError(err),
    );
  }

  async deliver(node: string, directive: Directive): Promise<void> {
    // A subscription this process asked for just before is in place before we publish.
    await this.#pending;
    try {
      await this.#pub.publish(this.#channel(node), JSON.stringify(directive));
    } catch (err) {
      throw unavailable(err);
    }
  }

  async broadcast(message: Broadcast): Promise<void> {
    await this.#pending;
    try {
      await this.#pub.publish(this.#k.broadcast, JSON.stringify(message));
    } catch (err) {
      throw unavailable(err);
    }
  }

  onBroadcast(handler: (message: Broadcast) => void): () => void {
    const own = (b: Broadcast) => handler(b);
    if (this.#listeners.size === 0) {
      this.#queue(() => this.#sub.subscribe(this.#k.broadcast, (message) => this.#heard(message)));
    }
    this.#listeners.add(own);
    return () => {
      if (!this.#listeners.delete(own) || this.#listeners.size > 0) return;
      const channel = this.#k.broadcast;
      this.#queue(() => (this.#sub.isOpen ? this.#sub.unsubscribe(channel) : Promise.resolve()));
    };
  }

  #heard(message: string): void {
    let b: Broadcast;
    try {
      b = JSON.parse(message) as Broadcast;
    } catch (err) {
      this.#onError(err);
      return;
    }
    for (const l of [...this.#listeners]) l(b);
  }

  onDirective(node: string, handler: (directive: Directive) => void): () => void {
    const first = !this.#handlers.has(node);
    this.#handlers.set(node, handler);
    if (first) {
      const channel = this.#channel(node);
      this.#queue(() =>
        this.#sub.subscribe(channel, (message) => {
          let d: Directive;
          try {
            d = JSON.parse(message) as Directive;
          } catch (err) {
            this.#onError(err);
            return;
          }
          this.#handlers.get(node)?.(d);
        }),
      );
    }
    return () => {
      if (this.#handlers.get(node) !== handler) return;
      this.#handlers.delete(node);
      const channel = this.#channel(node);
      this.#queue(() => (this.#sub.isOpen ? this.#sub.unsubscribe(channel) : Promise.resolve()));
    };
  }

  async close(): Promise<void> {
    this.#handlers.clear();
    this.#listeners.clear();
    await this.#pending;
    await Promise.all([this.#sub, this.#pub].map((c) => (c.isOpen ? c.close() : undefined)));
  }
}
