/**
 * Signs access tokens on a few worker threads, so a node's logins use its other cores: the
 * signature was ~40% of a login's main-thread time (bench:login's profile). Requests made together
 * go in a few messages (a newline-joined string each way), which keeps the main thread's share
 * to a JSON.stringify and a split.
 *
 * Nothing acknowledged is lost to a worker: a batch in flight when its worker exits (a crash, or
 * close) is signed on the main thread instead, and a worker that had been answering is replaced.
 * Signing is pure, so doing a batch twice is harmless; doing it here never fails a login.
 */
import { Worker } from 'node:worker_threads';
import type { PayloadSigner, SigningMaterial } from './jws.ts';

/** A key as the pool takes it: what a worker is handed, and how to sign with it here. */
export interface PoolKey {
  material: SigningMaterial;
  signHere: PayloadSigner;
}

/** Main thread to worker. */
export type ToWorker =
  | { type: 'sign'; id: number; kid: string; key?: SigningMaterial; payloads: string }
  | { type: 'retain'; kids: string[] };

/** Worker to main thread: the tokens, newline-joined, in the order of the payloads; null if it lacks the key. */
export interface FromWorker {
  id: number;
  tokens: string | null;
}

interface Request {
  json: string;
  resolve: (token: string) => void;
  reject: (err: unknown) => void;
}

interface Batch {
  key: PoolKey;
  requests: Request[];
}

interface Lane {
  worker: Worker;
  inFlight: Map<number, Batch>;
  /** Kids this worker has been handed (a key goes with the first batch that needs it). */
  kids: Set<string>;
  /** Whether it ever answered: one that dies before that is not replaced (it would loop). */
  answered: boolean;
}

export interface SignPoolOptions {
  /** Worker threads; at least 1 (0 means no pool: Tokens then signs on its own thread). */
  size: number;
  /** The worker script and its workerData; tests pass one that crashes. */
  workerUrl?: URL;
  workerData?: unknown;
  /** Told when a worker fails (its batches were signed on the main thread). */
  onError?: (err: Error) => void;
}

/**
 * Requests go to the workers in messages of at most this many (one big batch a turn made the
 * main thread wait on the worker: 9.0-9.2k logins/s on bench:login against 14.0-14.5k with 8).
 */
const MAX_CHUNK = 8;

export class SignPool {
  readonly #url: URL;
  readonly #workerData: unknown;
  readonly #onError: (err: Error) => void;
  #lanes: Lane[] = [];
  #queue = new Map<string, Batch>();
  #flushing = false;
  #nextId = 1;
  #nextLane = 0;
  #closed = false;
  #started = 0;
  #byWorkers = 0;
  #inThread = 0;

  constructor(options: SignPoolOptions) {
    this.#url = options.workerUrl ?? new URL('./sign-worker.ts', import.meta.url);
    this.#workerData = options.workerData;
    this.#onError = options.onError ?? (() => {});
    for (let i = 0; i < options.size; i++) this.#spawn();
  }

  /**
   * Live workers (0 once closed, or once workers failed at start: then signing is in-thread),
   * workers started over the pool's life (replacements included), and tokens signed by workers
   * and on the calling thread.
   */
  stats(): { threads: number; started: number; byWorkers: number; inThread: number } {
    return {
      threads: this.#lanes.length,
      started: this.#started,
      byWorkers: this.#byWorkers,
      inThread: this.#inThread,
    };
  }

  /** The compact JWS of `payloadJson` under `key`, signed by a worker when one is up. */
  sign(key: PoolKey, payloadJson: string): Promise<string> {
    if (this.#closed || this.#lanes.length === 0) {
      this.#inThread++;
      return Promise.resolve(key.signHere(payloadJson));
    }
    return new Promise((resolve, reject) => {
      const kid = key.material.kid;
      let batch = this.#queue.get(kid);
      if (!batch) {
        batch = { key, requests: [] };
        this.#queue.set(kid, batch);
      }
      batch.requests.push({ json: payloadJson, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // At the end of this microtask checkpoint: the logins one grant commit releases all get
        // here in it, so they go together. (setImmediate, a whole loop turn later, measured
        // 12,677-13,382 logins/s on bench:login against 14,018-14,537 for this.)
        queueMicrotask(() => this.#flush());
      }
    });
  }

  /** Workers forget every key but these (the node stopped signing with the others). */
  retain(kids: readonly string[]): void {
    for (const lane of this.#lanes) {
      for (const kid of lane.kids) if (!kids.includes(kid)) lane.kids.delete(kid);
      lane.worker.postMessage({ type: 'retain', kids: [...kids] } satisfies ToWorker);
    }
  }

  /** Stops the workers; what they held is signed here, and later requests too. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#flush();
    await Promise.all(this.#lanes.map((l) => l.worker.terminate()));
  }

  #flush(): void {
    this.#flushing = false;
    const batches = [...this.#queue.values()];
    this.#queue.clear();
    for (const batch of batches) {
      if (this.#closed || this.#lanes.length === 0) {
        this.#signHere(batch);
        continue;
      }
      // Small chunks, each answered on its own: the first tokens come back (and their answers
      // go out) while a worker still signs the rest, so the main thread and the workers overlap
      // instead of taking turns over one big batch.
      const size = Math.min(MAX_CHUNK, Math.ceil(batch.requests.length / this.#lanes.length));
      for (let i = 0; i < batch.requests.length; i += size) {
        const lane = this.#lanes[this.#nextLane++ % this.#lanes.length] as Lane;
        this.#send(lane, { key: batch.key, requests: batch.requests.slice(i, i + size) });
      }
    }
  }

  #send(lane: Lane, batch: Batch): void {
    const id = this.#nextId++;
    const kid = batch.key.material.kid;
    const message: ToWorker = {
      type: 'sign',
      id,
      kid,
      payloads: batch.requests.map((r) => r.json).join('\n'),
    };
    if (!lane.kids.has(kid)) {
      message.key = batch.key.material;
      lane.kids.add(kid);
    }
    // Held (ref'd) only while it owes answers: an idle pool never keeps a process alive.
    if (lane.inFlight.size === 0) lane.worker.ref();
    lane.inFlight.set(id, batch);
    lane.worker.postMessage(message);
  }

  #spawn(): void {
    const lane: Lane = {
      worker: new Worker(this.#url, { name: 'lifeline-signer', workerData: this.#workerData }),
      inFlight: new Map(),
      kids: new Set(),
      answered: false,
    };
    this.#started++;
    lane.worker.on('message', (m: FromWorker) => this.#answer(lane, m));
    let failure: Error | undefined;
    lane.worker.on('error', (err) => {
      failure = err;
    });
    lane.worker.on('exit', (code) => this.#exited(lane, code, failure));
    // After the listeners: adding a 'message' listener refs the worker again.
    lane.worker.unref();
    this.#lanes.push(lane);
  }

  #answer(lane: Lane, m: FromWorker): void {
    const batch = lane.inFlight.get(m.id);
    if (!batch) return;
    lane.inFlight.delete(m.id);
    lane.answered = true;
    if (lane.inFlight.size === 0) lane.worker.unref();
    const tokens = m.tokens?.split('\n');
    if (!tokens || tokens.length !== batch.requests.length) {
      this.#signHere(batch);
      return;
    }
    this.#byWorkers += tokens.length;
    for (const [i, r] of batch.requests.entries()) r.resolve(tokens[i] as string);
  }

  #exited(lane: Lane, code: number, failure: Error | undefined): void {
    this.#lanes = this.#lanes.filter((l) => l !== lane);
    for (const batch of lane.inFlight.values()) this.#signHere(batch);
    lane.inFlight.clear();
    if (this.#closed) return;
    this.#onError(
      failure ?? new Error(`a signing worker exited (code ${code}); its batches were signed in-thread`),
    );
    if (lane.answered) this.#spawn();
  }

  #signHere(batch: Batch): void {
    this.#inThread += batch.requests.length;
    for (const r of batch.requests) {
      try {
        r.resolve(batch.key.signHere(r.json));
      } catch (err) {
        r.reject(err);
      }
    }
  }
}
