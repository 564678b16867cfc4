/**
 * The one catalog of Lifeline's error codes. Each code keeps one meaning forever: a client or a
 * runbook may match on it. A code is added here, documented in docs/ERRORS.md (a test checks
 * that), and never reused for something else.
 */
export const catalog = {
  // Input
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the expected shape' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than allowed' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be application/json' },
  UNKNOWN_REGION: { status: 400, message: 'The region is not part of the configured topology' },
  UNKNOWN_SHARD: { status: 400, message: 'The shard is not part of the region' },
  UNKNOWN_ZONE: { status: 400, message: 'The zone is not part of the region' },
  SELECTOR_EMPTY: { status: 400, message: 'A selector must name at least one field' },
  NOT_FOUND: { status: 404, message: 'No such route or resource' },
  // Player authentication and tokens
  CREDENTIAL_MISSING: { status: 400, message: 'Give either playerId or idToken' },
  IDENTITY_REJECTED: { status: 401, message: 'The identity provider refused the credential' },
  IDENTITY_UNAVAILABLE: { status: 503, message: 'The identity provider cannot be reached; try again later' },
  ID_TOKEN_INVALID: { status: 401, message: 'The ID token is malformed or not a JWT' },
  ID_TOKEN_SIGNATURE: {
    status: 401,
    message: 'The ID token signature does not verify against the identity provider keys',
  },
  ID_TOKEN_ISSUER: { status: 401, message: 'The ID token was issued by another issuer' },
  ID_TOKEN_AUDIENCE: { status: 401, message: 'The ID token is meant for another audience' },
  ID_TOKEN_EXPIRED: { status: 401, message: 'The ID token has expired' },
  UPSTREAM_DNS_FAILURE: {
    status: 503,
    message: 'An upstream hostname does not resolve (DNS); see /ready for the failing probe',
  },
  TOKEN_INVALID: { status: 401, message: 'The token is malformed, forged or of the wrong kind' },
  TOKEN_EXPIRED: { status: 401, message: 'The token has expired' },
  REFRESH_REUSED: {
    status: 401,
    message: 'This refresh token was already used; its whole family is revoked, log in again',
  },
  LOGIN_QUEUE_FULL: { status: 503, message: 'Too many logins are waiting; try again after Retry-After' },
  LOGIN_TICKET_UNKNOWN: { status: 404, message: 'No such login ticket, or it lapsed; log in again' },
  SESSION_ENDED: { status: 401, message: 'The session has ended' },
  ENTITLEMENT_UNAVAILABLE: {
    status: 503,
    message: 'Entitlements cannot be checked right now and this player has no last known licence',
  },
  ENTITLEMENT_NONE: { status: 403, message: 'This player does not hold a licence for the game' },
  PLAYER_BANNED: { status: 403, message: 'This player is banned and may not log in' },
  PLAYER_RATE_LIMITED: {
    status: 429,
    message: 'Too many requests from this address or for this player; wait for Retry-After seconds',
  },
  SESSION_LIMIT_REACHED: {
    status: 409,
    message: 'This player already holds as many sessions as allowed; end one (or wait for it to lapse) first',
  },
  // Operators and the admin plane
  OPERATOR_UNAUTHENTICATED: { status: 401, message: 'A valid operator bearer token is required' },
  OPERATOR_FORBIDDEN: { status: 403, message: 'Your role may not do this' },
  OPERATOR_EXISTS: { status: 409, message: 'An operator with this name already exists' },
  OPERATOR_NOT_FOUND: { status: 404, message: 'No such operator' },
  // The web console (src/console)
  CONSOLE_CSRF_INVALID: {
    status: 403,
    message: 'A console call that changes something must carry the session CSRF token in x-lifeline-csrf',
  },
  CONSOLE_NOT_BUILT: {
    status: 503,
    message: 'The console bundle is missing: run npm install (it builds it)',
  },
  CONSOLE_STREAM_FULL: { status: 503, message: 'Too many console streams are open on this node' },
  CONSOLE_SSO_DISABLED: { status: 404, message: 'Single sign-on is not configured (console.oidc.issuer)' },
  CONSOLE_SSO_FAILED: { status: 401, message: 'The single sign-on did not complete' },
  CONSOLE_SSO_NO_ROLE: { status: 403, message: 'None of your groups maps to a Lifeline role' },
  SSO_STATE_INVALID: {
    status: 401,
    message: 'This sign-in is unknown, already finished or expired (10 minutes): start it again',
  },
  SSO_REDIRECT_REFUSED: {
    status: 400,
    message: 'A CLI sign-in redirects only to http://127.0.0.1:<port>/… or http://[::1]:<port>/…',
  },
  SSO_PROVIDER_ERROR: { status: 502, message: 'The OpenID provider failed or refused the sign-in' },
  OPERATOR_DIRECT_WRITE_REFUSED: {
    status: 409,
    message:
      'Admins exist: change operators through the admin API (two admins), or pass --break-glass (audited, raises an alert)',
  },
  ENROLMENT_INVALID: {
    status: 401,
    message:
      'This enrolment is unknown, incomplete (it needs both parts), already used or expired; ask an admin for a new operator',
  },
  NO_MATCHING_SESSIONS: { status: 404, message: 'No live session matches the selector' },
  COMMAND_NOT_FOUND: { status: 404, message: 'No such command' },
  RATE_LIMITED: { status: 429, message: 'Too many admin requests; wait for Retry-After seconds' },
  // Guarded commands
  TOTP_REQUIRED: { status: 401, message: 'This action needs a current TOTP code in "totp"' },
  TOTP_INVALID: { status: 403, message: 'The TOTP code is wrong or out of date' },
  TOTP_REPLAYED: { status: 403, message: 'This TOTP code (or an older one) was already used' },
  TOTP_LOCKED: {
    status: 429,
    message: 'Too many failed TOTP codes: step-up is locked for this operator; wait for Retry-After seconds',
  },
  TOTP_NOT_ENROLLED: {
    status: 403,
    message: 'This operator has no TOTP secret; an admin must create them anew',
  },
  SELECTOR_ALL_NOT_EXPLICIT: {
    status: 400,
    message: 'To select everyone, send {"all": true} and nothing else',
  },
  BLAST_RADIUS_EXCEEDED: {
    status: 409,
    message: 'The selector matches more sessions than maxSessions allows',
  },
  APPROVAL_SELF: { status: 403, message: 'The requester cannot approve their own command' },
  APPROVAL_DUPLICATE: { status: 409, message: 'This operator already approved the command' },
  APPROVAL_ROLE: { status: 403, message: 'The approver’s role may not run this command' },
  APPROVAL_OPERATOR_TOO_NEW: {
    status: 403,
    message: 'The approver was created, enrolled or given their role after the command was requested',
  },
  COMMAND_NOT_AWAITING: { status: 409, message: 'The command is not awaiting approval' },
  COMMAND_EXPIRED: { status: 409, message: 'The command was not approved in time and is rejected' },
  COMMAND_FINISHED: { status: 409, message: 'The command has already finished' },
  COMMAND_HALTED: { status: 409, message: 'An operator halted the command; sessions it ended stay ended' },
  COMMAND_INTERRUPTED: {
    status: 409,
    message: 'The node running the command stopped mid-run; the command halted',
  },
  SELECTOR_DRIFT: { status: 409, message: 'More sessions match than were approved; the command halted' },
  CANARY_MISMATCH: { status: 409, message: 'The canary wave did not match its plan; the command halted' },
  KICK_BREAKER_OPEN: {
    status: 503,
    message: 'The kick breaker is open: kicks are refused until an admin resets it',
  },
  KICK_BREAKER_CLOSED: { status: 409, message: 'The kick breaker is already closed' },
  KICKS_DISABLED: { status: 503, message: 'Kicks are switched off by the kicks.enabled flag' },
  LOGINS_CLOSED: { status: 503, message: 'Logins are closed for maintenance; existing sessions continue' },
  FLAG_UNKNOWN: { status: 404, message: 'No such flag' },
  FLAG_VALUE_INVALID: { status: 400, message: 'The value does not fit the flag’s type' },
  // Restore and rejoin
  RESTORE_SOURCE_INVALID: {
    status: 400,
    message: 'Give either commandId, or from and to (with an optional selector)',
  },
  RESTORE_HEALTH_URL_FORBIDDEN: {
    status: 400,
    message: 'The health URL is not http(s) on a host in restore.healthUrlHosts',
  },
  RESTORE_NOT_FOUND: { status: 404, message: 'No such restore' },
  RESTORE_OVERLAP: {
    status: 409,
    message: 'Some of these disruptions already belong to an unfinished restore',
  },
  RESTORE_EMPTY: { status: 404, message: 'No pending disruption matches; nothing to restore' },
  RESTORE_FINISHED: { status: 409, message: 'The restore has already finished or was cancelled' },
  RESTORE_NOT_PAUSED: { status: 409, message: 'The restore is not paused' },
  RESTORE_NOT_RUNNING: { status: 409, message: 'The restore is not running' },
  COMMAND_STILL_RUNNING: {
    status: 409,
    message: 'The command is still waiting or running; restore it once it has ended',
  },
  REJOIN_REFUSED: { status: 403, message: 'This session cannot be restored' },
  // Incidents
  INCIDENT_NOT_FOUND: { status: 404, message: 'No such incident' },
  INCIDENT_TRANSITION: { status: 409, message: 'The incident cannot move from its status to that one' },
  INCIDENT_CLOSED: { status: 409, message: 'The incident is closed; nothing about it changes any more' },
  INCIDENT_CONFLICT: {
    status: 409,
    message: 'The incident changed under this request several times; read it again and retry',
  },
  INCIDENT_NOT_COMMANDER: { status: 403, message: 'Only the incident commander may do this' },
  INCIDENT_NOTE_NOT_FOUND: { status: 404, message: 'The incident has no such note' },
  INCIDENT_CHECKLIST_ITEM: { status: 404, message: 'The incident has no such phase or checklist item' },
  INCIDENT_TIME_INVALID: {
    status: 400,
    message: 'Incident times must be in order (started <= detected <= now) and not in the future',
  },
  INCIDENT_GRANT_INVALID: {
    status: 400,
    message: 'A grant is a count and a unit: "7 days", "12 hours", "1 week", "30 minutes" (at most a year)',
  },
  INCIDENT_NOT_RESOLVED: {
    status: 409,
    message: 'Compensation is granted once the incident is resolved, when its impact is known',
  },
  INCIDENT_ACTION_NOT_FOUND: { status: 404, message: 'The incident has no such action item' },
  INCIDENT_EVIDENCE_TOO_LARGE: {
    status: 413,
    message: 'The incident window holds more audit rows than one evidence archive takes; narrow the window',
  },
  // Bans
  PLAYER_ALREADY_BANNED: { status: 409, message: 'This player is already banned' },
  BAN_NOT_FOUND: { status: 404, message: 'This player is not banned' },
  // Signals (issue 15)
  SIGNAL_NOT_FOUND: { status: 404, message: 'No such signal' },
  SIGNAL_SIGNATURE_INVALID: {
    status: 401,
    message: 'The Sentry-Hook-Signature is not the HMAC-SHA256 of the body under the intake secret',
  },
  SIGNAL_PAYLOAD_INVALID: {
    status: 400,
    message:
      'The body is neither an Alertmanager webhook (version 4) nor a Sentry issue webhook that Lifeline accepts; nothing was stored',
  },
  // 503, not 429: Alertmanager retries a webhook that answered 5xx and drops one that answered
  // 4xx until the group's next interval (5 minutes by default), which would delay a page.
  SIGNAL_INTAKE_BUSY: {
    status: 503,
    message:
      'The signal intake is over its rate limit; nothing was stored, send it again after Retry-After seconds',
  },
  // The CLI's own, about the admin listener it talks to (never an HTTP answer)
  ADMIN_UNREACHABLE: {
    status: 503,
    message: 'The admin API cannot be reached at this URL: is `lifeline serve` running there?',
  },
  ADMIN_URL_WRONG: {
    status: 502,
    message: "Something answers at this admin URL, but not as Lifeline's admin API",
  },
  NODE_UNREACHABLE: {
    status: 503,
    message: "The node's player listener cannot be reached at this URL: is `lifeline serve` running there?",
  },
  NODE_URL_WRONG: {
    status: 502,
    message: "Something answers at this player URL, but not as Lifeline's /health and /ready",
  },
  // Configuration and start-up
  CONFIG_INVALID: { status: 500, message: 'The configuration is invalid' },
  CONFIG_UNREADABLE: { status: 500, message: 'The configuration file cannot be read' },
  SECRETS_KEY_INVALID: {
    status: 500,
    message: 'The key-encryption key (secrets.key or secrets.keyFile) is missing, unreadable or not 32 bytes',
  },
  SECRETS_KEY_MISMATCH: {
    status: 500,
    message: 'A secret in the store was sealed under another key-encryption key than the one loaded',
  },
  SECRET_CORRUPT: { status: 500, message: 'A sealed secret in the store does not open: it was changed' },
  AUDIT_ANCHOR_INVALID: {
    status: 500,
    message:
      'The audit anchor directory or its audit key cannot be read or written, or its public key does not match',
  },
  LISTEN_ADDRESS_IN_USE: {
    status: 500,
    message:
      'A listener cannot bind: another process already uses this host and port; stop it or change the port',
  },
  LISTEN_ADDRESS_INVALID: {
    status: 500,
    message:
      'A listener cannot bind: the host is not an address of this machine or does not resolve; fix the host',
  },
  LISTEN_PERMISSION: {
    status: 500,
    message: 'A listener may not bind this port: ports below 1024 need privileges; use a higher port',
  },
  DATA_DIR_PERMISSION: {
    status: 500,
    message: 'The data directory cannot be created or written by this user; fix its owner or mode',
  },
  DATA_DIR_CONFLICT: {
    status: 500,
    message: 'Something that is not a directory sits where the data directory (or a parent) should be',
  },
  STORE_READ_ONLY: {
    status: 500,
    message: 'The database file is read-only (mode, immutable flag or read-only mount); make it writable',
  },
  STORE_CORRUPT: {
    status: 500,
    message: 'The database file is not a SQLite database or is damaged; restore it from a backup',
  },
  DEV_IDENTITY_IN_PRODUCTION: {
    status: 500,
    message: 'The dev identity provider accepts anyone and refuses to start with NODE_ENV=production',
  },
  // The lab
  SCENARIO_INVALID: {
    status: 400,
    message: 'The scenario file does not match the scenario schema; the message names the JSON path',
  },
  SCENARIO_NOT_FOUND: {
    status: 404,
    message: 'No built-in scenario has this name and no readable file is at this path',
  },
  DRILL_FAILED: {
    status: 500,
    message:
      'The drill could not run to the end (a process did not start, or it was interrupted); everything it started was stopped',
  },
  // Infrastructure
  STORE_UNAVAILABLE: { status: 503, message: 'The record store cannot be reached' },
  LIVE_UNAVAILABLE: {
    status: 503,
    message: 'Live state (Redis) cannot be reached; open sessions carry on, try this again shortly',
  },
  NOT_READY: { status: 503, message: 'Lifeline is not ready' },
  // The lab (simulated upstreams)
  LAB_FAULT_INVALID: {
    status: 400,
    message: 'The fault is not one the lab knows, or a field is out of range',
  },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof catalog;

/** Every failure Lifeline means to report carries a catalog code; anything else is a bug (INTERNAL). */
export class LifelineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(
      message ?? catalog[code].message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'LifelineError';
    this.code = code;
    this.status = catalog[code].status;
    this.details = options?.details;
  }
}

export function isLifelineError(err: unknown, code?: ErrorCode): err is LifelineError {
  return err instanceof LifelineError && (code === undefined || err.code === code);
}

/** The wire shape of every error response. */
export function errorBody(err: LifelineError): {
  error: { code: ErrorCode; message: string } & Record<string, unknown>;
} {
  return { error: { code: err.code, message: err.message, ...(err.details ?? {}) } };
}
