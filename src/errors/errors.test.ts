import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { catalog, errorBody, LifelineError } from './index.ts';

test('every error code is documented in docs/ERRORS.md with its HTTP status', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/ERRORS.md'), 'utf8');
  const rows = new Map(
    [...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1] as string, Number(m[2])]),
  );
  for (const [code, { status }] of Object.entries(catalog)) {
    assert.equal(
      rows.get(code),
      status,
      `${code} (${status}) is missing from docs/ERRORS.md or has another status`,
    );
  }
  for (const code of rows.keys())
    assert.ok(code in catalog, `docs/ERRORS.md lists ${code}, which the catalog lacks`);
});

test('an error carries its catalog status and leaves as {error:{code,message}}', () => {
  const err = new LifelineError('UNKNOWN_REGION', 'Unknown region "mars"', { details: { known: ['na'] } });
  assert.equal(err.status, 400);
  assert.deepEqual(errorBody(err), {
    error: { code: 'UNKNOWN_REGION', message: 'Unknown region "mars"', known: ['na'] },
  });
  assert.equal(new LifelineError('TOKEN_EXPIRED').message, catalog.TOKEN_EXPIRED.message);
});
