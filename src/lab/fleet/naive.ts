/**
 * The seed's clients, for the unprotected baseline: every failure (a 429, a 5xx, a network error,
 * a queue ticket, a rejoin told to wait) is retried after the same fixed pause, with no jitter, no
 * budget, and no regard for Retry-After or the ticket. The same surface as the SDK's
 * LifelineClient, so a fleet player drives either.
 */
import { type Credential, LifelineApiError, type Placement, type Tokens } from '../../sdk/index.ts';

export interface SocketHandlers {
  onMessage?: (m: Record<string, unknown>) => void;
  onClose?: (code: number) => void;
}

/** What a fleet player needs of a client: LifelineClient has it, and so does NaiveClient. */
export interface PlayerClient {
  readonly tokens: Tokens | null;
  readonly resumeToken: string | null;
  login(input: Credential & Placement): Promise<Tokens>;
  refresh(): Promise<Tokens>;
  rejoin(resumeToken?: string | null): Promise<Tokens>;
  connect(handlers?: SocketHandlers): void;
  ping(): void;
  close(): void;
}

export interface NaiveOptions {
  baseUrl: string;
  fetch: typeof fetch;
  WebSocket: typeof WebSocket;
  sleep: (ms: number) => Promise<void>;
  /** The fixed pause before every retry, in ms. */
  retryMs: number;
  onRefreshError?: (err: unknown) => void;
}

export class NaiveClient implements PlayerClient {
  readonly #o: NaiveOptions;
  #tokens: Tokens | null = null;
  #resumeToken: string | null = null;
  #socket: WebSocket | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: NaiveOptions) {
    this.#o = { ...options, baseUrl: options.baseUrl.replace(/\/$/, '') };
  }

  get tokens(): Tokens | null {
    return this.#tokens;
  }

  get resumeToken(): string | null {
    return this.#resumeToken;
  }

  login(input: Credential & Placement): Promise<Tokens> {
    return this.#until('/v1/login', input);
  }

  async refresh(): Promise<Tokens> {
    if (!this.#tokens) throw new Error('Not logged in');
    try {
      return await this.#until('/v1/refresh', { refreshToken: this.#tokens.refreshToken });
    } catch (err) {
      const resume = err instanceof LifelineApiError ? (err.body.error as { resumeToken?: unknown }) : undefined;
      if (typeof resume?.resumeToken === 'string') this.#resumeToken = resume.resumeToken;
      throw err;
    }
  }

  async rejoin(resumeToken = this.#resumeToken): Promise<Tokens> {
    if (!resumeToken) throw new Error('No resume token');
    const tokens = await this.#until('/v1/rejoin', { resumeToken });
    this.#resumeToken = null;
    return tokens;
  }

  /** Opens the control socket; a drop reconnects after the fixed pause; 4001/4003/4004 stay closed. */
  connect(handlers: SocketHandlers = {}): void {
    if (!this.#tokens) throw new Error('Not logged in');
    const url = `${this.#o.baseUrl.replace(/^http/, 'ws')}/v1/session?access_token=${encodeURIComponent(this.#tokens.accessToken)}`;
    const socket = new this.#o.WebSocket(url);
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as Record<string, unknown>;
      if (message.type === 'kicked' && typeof message.resumeToken === 'string')
        this.#resumeToken = message.resumeToken;
      handlers.onMessage?.(message);
    };
    socket.onclose = (event) => {
      handlers.onClose?.(event.code);
      if (this.#socket !== socket) return;
      this.#socket = null;
      if ([4001, 4003, 4004].includes(event.code)) return;
      void this.#o.sleep(this.#o.retryMs).then(
        () => {
          if (this.#tokens && this.#socket === null) this.connect(handlers);
        },
        () => {},
      );
    };
  }

  ping(): void {
    if (this.#socket?.readyState === 1) this.#socket.send(JSON.stringify({ type: 'ping' }));
  }

  close(): void {
    clearTimeout(this.#timer);
    const s = this.#socket;
    this.#socket = null;
    s?.close();
  }

  #hold(tokens: Tokens): Tokens {
    this.#tokens = tokens;
    clearTimeout(this.#timer);
    // At 80% of the token's life, every client of a wave at the same moment: no jitter.
    this.#timer = setTimeout(
      () => void this.refresh().catch((err: unknown) => this.#o.onRefreshError?.(err)),
      tokens.expiresIn * 800,
    );
    this.#timer.unref?.();
    return tokens;
  }

  /** POSTs until a 200 (held) or an answer not worth retrying (thrown as LifelineApiError). */
  async #until(path: string, body: unknown): Promise<Tokens> {
    for (;;) {
      let status = 0;
      let payload: Record<string, unknown> = {};
      try {
        const res = await this.#o.fetch(`${this.#o.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        status = res.status;
        payload = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      } catch {
        status = 0;
      }
      if (status === 200) return this.#hold(payload as unknown as Tokens);
      if (status !== 0 && status !== 202 && status !== 429 && status < 500)
        throw new LifelineApiError(status, payload);
      await this.#o.sleep(this.#o.retryMs);
    }
  }
}
