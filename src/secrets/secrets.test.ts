import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isLifelineError } from '../errors/index.ts';
import { loadKek, Sealer } from './index.ts';

function dir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'lifeline-secrets-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a sealed secret opens with the same KEK and context, and with nothing else', () => {
  const sealer = new Sealer(Buffer.alloc(32, 1));
  const sealed = sealer.seal('the secret', 'totp:op-1');
  assert.ok(Sealer.isSealed(sealed));
  assert.doesNotMatch(sealed, /the secret/);
  assert.equal(sealer.openText(sealed, 'totp:op-1'), 'the secret');
  assert.notEqual(sealer.seal('the secret', 'totp:op-1'), sealed, 'every seal has its own data key and IV');
  assert.throws(
    () => sealer.open(sealed, 'totp:op-2'),
    (e) => isLifelineError(e, 'SECRET_CORRUPT'),
  );
  const other = new Sealer(Buffer.alloc(32, 2));
  assert.throws(
    () => other.open(sealed, 'totp:op-1'),
    (e) => isLifelineError(e, 'SECRETS_KEY_MISMATCH'),
  );
  const parts = sealed.split('.');
  const payload = Buffer.from(parts[3] ?? '', 'base64url');
  payload[payload.length - 20] = (payload[payload.length - 20] ?? 0) ^ 1;
  parts[3] = payload.toString('base64url');
  assert.throws(
    () => sealer.open(parts.join('.'), 'totp:op-1'),
    (e) => isLifelineError(e, 'SECRET_CORRUPT'),
  );
  assert.throws(
    () => sealer.open('plain', 'totp:op-1'),
    (e) => isLifelineError(e, 'SECRET_CORRUPT'),
  );
});

test('the KEK file is created 0600 once, then read back; a loose mode is tightened', (t) => {
  const keyFile = join(dir(t), 'lifeline.kek');
  const first = loadKek({ key: '', keyFile });
  assert.equal(first.origin.from, 'new-file');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const again = loadKek({ key: '', keyFile });
  assert.deepEqual(again.kek, first.kek);
  assert.equal(again.origin.from, 'file');
  chmodSync(keyFile, 0o644);
  const loose = loadKek({ key: '', keyFile });
  assert.equal(loose.origin.repairedMode, '0644');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
});

test('a KEK that is not 32 bytes of base64 is refused with a coded error', (t) => {
  const keyFile = join(dir(t), 'short.kek');
  writeFileSync(keyFile, 'c2hvcnQ=\n', { mode: 0o600 });
  assert.throws(
    () => loadKek({ key: '', keyFile }),
    (e) => isLifelineError(e, 'SECRETS_KEY_INVALID'),
  );
  assert.throws(
    () => loadKek({ key: 'c2hvcnQ=', keyFile }),
    (e) => isLifelineError(e, 'SECRETS_KEY_INVALID') && e.details?.source === 'secrets.key',
  );
  const key = Buffer.alloc(32, 7).toString('base64');
  assert.deepEqual(loadKek({ key, keyFile: join(keyFile, 'missing') }).kek, Buffer.alloc(32, 7));
});
