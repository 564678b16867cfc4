import { isLifelineError } from '../errors/index.ts';
import type { CliIo } from './base.ts';

/** An error the CLI itself reports, in the same `code: message` shape as the API's. */
export class CliError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Prints a failed command's error (on stdout as one JSON document with --json, so a script
 * parses it like an answer; on stderr otherwise) and returns the exit code, 1.
 */
export function reportFailure(err: unknown, json: boolean, io: CliIo): number {
  const code = isLifelineError(err) || err instanceof CliError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  if (json) io.out(JSON.stringify({ error: { code, message } }));
  else io.err(`error ${code}: ${message}`);
  return 1;
}
