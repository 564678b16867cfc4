/** Calls to the admin API with the session cookie, the CSRF header on writes, and coded errors. */

export interface Me {
  operator: { name: string; role: string };
  via: 'token' | 'sso';
  csrf: string;
  permissions: string[];
}

/** An admin API error: its code, message and details as the API gave them. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown>) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let csrf = '';

export function setCsrf(token: string): void {
  csrf = token;
}

/** JSON to or from the API; a 429 is retried once after its Retry-After. */
export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  retried = false,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-lifeline-csrf'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { error?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  if (res.status === 429 && !retried) {
    const wait = Number(res.headers.get('retry-after') ?? '1');
    await new Promise((r) => setTimeout(r, Math.min(5, Math.max(1, wait)) * 1000));
    return api<T>(method, path, body, true);
  }
  if (!res.ok) {
    const { code, message, ...details } = data.error ?? {};
    throw new ApiError(res.status, String(code ?? 'HTTP_ERROR'), String(message ?? res.statusText), details);
  }
  return data as T;
}
