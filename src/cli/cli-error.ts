// In a file of its own: output.ts throws it and base.ts renders through output.ts, so errors.ts
// (which reads base.ts's types) would otherwise close a cycle.
/**
 * An error the CLI reports, in the API's `code: message` shape, with the API's details (the
 * `known` regions, `overlapping`, `retryAfterSeconds`) and where it came from (`status`, the
 * HTTP status; `adminUrl`, the listener that answered or could not be reached).
 */
export class CliError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}
