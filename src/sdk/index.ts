/**
 * The Lifeline client SDK, for game clients in Node or a browser: only fetch, WebSocket,
 * setTimeout, Math.random and crypto.getRandomValues, no Node-only API. It does what seed 001's
 * clients did not: waits in line when told to (`202` + `Retry-After`), backs off with full jitter
 * (`sleep = random(0, min(cap, base · 2^attempt))`), and spends retries from a budget so that a
 * million clients cannot turn an outage into a retry storm. It refreshes tokens before they
 * expire, reconnects the control socket, and rejoins with the resume token after a kick.
 *
 * @example
 * const client = new LifelineClient({ baseUrl: 'https://lifeline.example' });
 * await client.login({ playerId: 'p1', region: 'eu', shard: 'eu-1' });
 * client.connect({ onMessage: (m) => console.log(m.type) });
 */

export interface Placement {
  region: string;
  shard: string;
  zone?: string;
  clientVersion?: string;
}

export interface Credential {
  playerId?: string;
  idToken?: string;
}

export interface Tokens {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface ClientOptions {
  baseUrl: string;
  /** Full-jitter exponential backoff. @defaultValue { baseMs: 250, capMs: 30000 } */
  backoff?: { baseMs: number; capMs: number };
  /**
   * Retries are spent from a token bucket: `burst` at once, then `perSecond`. An empty budget
   * fails the call with `RetryBudgetExhausted` rather than retry faster.
   * @defaultValue { burst: 5, perSecond: 0.2 }
   */
  retryBudget?: { burst: number; perSecond: number };
  /** The longest a single wait may be, whatever Retry-After says. @defaultValue 300000 */
  maxWaitMs?: number;
  /**
   * How long one request may take, answer body included, before it counts as a network error
   * (retried from the budget): a connection that hangs must not hang the game. @defaultValue 10000
   */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Extra headers on every request (for example a client id for tracing). */
  headers?: Record<string, string>;
  /**
   * Told when a scheduled refresh fails for good (its retries spent, or an error answer such as
   * `SESSION_ENDED` with a resume token): the game decides whether to rejoin or log in again.
   */
  onRefreshError?: (err: unknown) => void;
}

/** An error answer from Lifeline, with its stable code. */
export class LifelineApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: Record<string, unknown>;
  constructor(
    status: number,
    body: { error?: { code?: string; message?: string } } & Record<string, unknown>,
  ) {
    super(body.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.error?.code ?? `HTTP_${status}`;
    this.body = body;
  }
}

export class RetryBudgetExhausted extends Error {
  constructor() {
    super('The retry budget is spent; try again later');
  }
}

/** Codes worth retrying: the server asked for patience, or could not answer. */
const retryable = (status: number) => status === 429 || status === 502 || status === 503 || status === 504;

export class LifelineClient {
  readonly #o: Required<Omit<ClientOptions, 'headers'>> & { headers: Record<string, string> };
  #tokens: Tokens | null = null;
  #resumeToken: string | null = null;
  #budget: number;
  #budgetAt: number;
  #socket: WebSocket | null = null;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** The retry key of the refresh token now held: the same on every try until new tokens come. */
  #retryKey: { refreshToken: string; key: string } | null = null;
  /** Retries this client has made: for tests and telemetry. */
  retries = 0;

  constructor(options: ClientOptions) {
    this.#o = {
      baseUrl: options.baseUrl.replace(/\/$/, ''),
      backoff: options.backoff ?? { baseMs: 250, capMs: 30_000 },
      retryBudget: options.retryBudget ?? { burst: 5, perSecond: 0.2 },
      maxWaitMs: options.maxWaitMs ?? 300_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      WebSocket: options.WebSocket ?? globalThis.WebSocket,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      headers: options.headers ?? {},
      onRefreshError: options.onRefreshError ?? (() => {}),
    };
    this.#budget = this.#o.retryBudget.burst;
    this.#budgetAt = this.#o.now();
  }

  get tokens(): Tokens | null {
    return this.#tokens;
  }

  /** Logs in, waiting in line through any queue, and schedules token refresh. */
  async login(input: Credential & Placement): Promise<Tokens> {
    let answer = await this.#call('/v1/login', input);
    while ('queued' in answer) {
      answer = await this.#call(
        '/v1/login/poll',
        { ticket: answer.ticket as string },
        answer.retryAfterMs as number,
      );
    }
    return this.#hold(answer as unknown as Tokens);
  }

  /**
   * Rotates the refresh token. Never calls the identity provider, so it works during its outage.
   * Every try with one refresh token (the retries here, and a later `refresh()` after they were
   * spent) carries the same random retry key: a refresh the server did but whose answer never
   * came (a timeout) is then answered with the new tokens when retried, however late, instead of
   * being taken for a stolen token, which would end the session.
   */
  async refresh(): Promise<Tokens> {
    if (!this.#tokens) throw new Error('Not logged in');
    const { refreshToken } = this.#tokens;
    if (this.#retryKey?.refreshToken !== refreshToken) this.#retryKey = { refreshToken, key: newRetryKey() };
    try {
      return this.#hold(
        (await this.#call('/v1/refresh', {
          refreshToken,
          retryKey: this.#retryKey.key,
        })) as unknown as Tokens,
      );
    } catch (err) {
      // A session a kick ended hands back its resume token here when the socket missed it.
      if (err instanceof LifelineApiError && typeof err.body.error === 'object' && err.body.error !== null) {
        const resume = (err.body.error as { resumeToken?: unknown }).resumeToken;
        if (typeof resume === 'string') this.#resumeToken = resume;
      }
      throw err;
    }
  }

  /** Comes back after a kick: waits as long as the restore asks, then holds the new session. */
  async rejoin(resumeToken = this.#resumeToken): Promise<Tokens> {
    if (!resumeToken) throw new Error('No resume token: the session was not ended by a disruption');
    let answer = await this.#call('/v1/rejoin', { resumeToken });
    while ('waiting' in answer)
      answer = await this.#call('/v1/rejoin', { resumeToken }, answer.retryAfterMs as number);
    this.#resumeToken = null;
    return this.#hold(answer as unknown as Tokens);
  }

  /**
   * Opens the control socket. A kick closes it with 4001 and a resume token, which `rejoin()`
   * uses; a dropped connection reconnects with backoff; a revoked session (4003) stays closed.
   */
  connect(
    handlers: { onMessage?: (m: Record<string, unknown>) => void; onClose?: (code: number) => void } = {},
  ): void {
    if (!this.#tokens) throw new Error('Not logged in');
    const url = `${this.#o.baseUrl.replace(/^http/, 'ws')}/v1/session?access_token=${encodeURIComponent(this.#tokens.accessToken)}`;
    const socket = new this.#o.WebSocket(url);
    this.#socket = socket;
    let attempt = 0;
    socket.onmessage = (event) => {
      attempt = 0;
      const message = JSON.parse(String(event.data)) as Record<string, unknown>;
      if (message.type === 'kicked' && typeof message.resumeToken === 'string')
        this.#resumeToken = message.resumeToken;
      handlers.onMessage?.(message);
    };
    socket.onclose = (event) => {
      handlers.onClose?.(event.code);
      if (this.#socket !== socket) return;
      this.#socket = null;
      // Kicked, revoked or replaced: reconnecting would not help. Otherwise, come back with jitter.
      if ([4001, 4003, 4004].includes(event.code)) return;
      // A sleep the caller cancels (the fleet's, when a player leaves) rejects: then stay away.
      void this.#o.sleep(this.#jitter(attempt++)).then(
        () => {
          if (this.#tokens && this.#socket === null) this.connect(handlers);
        },
        () => {},
      );
    };
  }

  /** Sends a ping on the control socket. */
  ping(): void {
    this.#socket?.send(JSON.stringify({ type: 'ping' }));
  }

  close(): void {
    clearTimeout(this.#refreshTimer);
    const s = this.#socket;
    this.#socket = null;
    s?.close();
  }

  get resumeToken(): string | null {
    return this.#resumeToken;
  }

  #hold(tokens: Tokens): Tokens {
    this.#tokens = tokens;
    clearTimeout(this.#refreshTimer);
    // Refresh at 80% of the access token's life, with a little jitter so a fleet spreads out.
    const inMs = tokens.expiresIn * 1000 * (0.7 + 0.1 * this.#o.random());
    this.#refreshTimer = setTimeout(() => void this.refresh().catch(this.#o.onRefreshError), inMs);
    (this.#refreshTimer as { unref?: () => void }).unref?.();
    return tokens;
  }

  /** The full-jitter backoff for the n-th retry. */
  #jitter(attempt: number): number {
    const { baseMs, capMs } = this.#o.backoff;
    return this.#o.random() * Math.min(capMs, baseMs * 2 ** attempt);
  }

  /** Takes one retry from the budget, or throws when it is spent. */
  #spend(): void {
    const now = this.#o.now();
    const { burst, perSecond } = this.#o.retryBudget;
    this.#budget = Math.min(burst, this.#budget + ((now - this.#budgetAt) / 1000) * perSecond);
    this.#budgetAt = now;
    if (this.#budget < 1) throw new RetryBudgetExhausted();
    this.#budget -= 1;
    this.retries++;
  }

  /**
   * POSTs JSON. A 202 comes back to the caller with `retryAfterMs` (a queue or a restore says
   * when to ask again); 429/5xx and network errors are retried here: after Retry-After when the
   * server gives one, else after a full-jitter backoff; every retry is paid from the budget.
   */
  async #call(path: string, body: unknown, waitFirstMs = 0): Promise<Record<string, unknown>> {
    if (waitFirstMs > 0) await this.#o.sleep(Math.min(this.#o.maxWaitMs, waitFirstMs));
    for (let attempt = 0; ; attempt++) {
      let res: Response | null = null;
      try {
        res = await this.#o.fetch(`${this.#o.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.#o.headers },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.#o.requestTimeoutMs),
        });
      } catch {
        res = null;
      }
      const payload = res ? ((await res.json().catch(() => ({}))) as Record<string, unknown>) : {};
      if (res && res.status === 202) return { ...payload, retryAfterMs: retryAfterMs(res) ?? 1000 };
      if (res?.ok) return payload;
      if (res && !retryable(res.status)) throw new LifelineApiError(res.status, payload);
      this.#spend();
      const told = res ? retryAfterMs(res) : undefined;
      // Retry-After is a floor; jitter on top keeps clients told the same second apart.
      const wait = told !== undefined ? told + this.#jitter(0) : this.#jitter(attempt);
      await this.#o.sleep(Math.min(this.#o.maxWaitMs, wait));
    }
  }
}

/**
 * 128 random bits, base64url. From the platform's cryptographic source (Node and browsers alike):
 * the key is what tells the client's own retry from a copied refresh token, so it must not be
 * guessable.
 */
function newRetryKey(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function retryAfterMs(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  if (h === null) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}
