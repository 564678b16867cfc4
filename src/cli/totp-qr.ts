/**
 * The TOTP enrolment as a person reads it: the otpauth URI, and on a terminal the same URI as a
 * QR code an authenticator app scans (issue 17: typing a 32-character secret by hand under
 * pressure is where enrolments go wrong). Piped or with --json, only the URI: a QR code in a
 * log file is noise, and the JSON answer carries `otpauthUri` already.
 */
import { renderUnicodeCompact } from 'uqr';

export function totpEnrolment(otpauthUri: string, tty: boolean): string {
  const line = `TOTP enrolment (shown once; add to an authenticator app): ${otpauthUri}`;
  if (!tty) return line;
  // Error correction M, as authenticator apps' own examples use; two cells of quiet zone.
  return `${line}\nor scan it:\n${renderUnicodeCompact(otpauthUri, { ecc: 'M', border: 2 })}`;
}
