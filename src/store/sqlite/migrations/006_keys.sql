-- 006: token keys at rest. A signing key row holds its private key sealed by the Sealer (never a
-- PEM), the algorithm it signs with, and when it was retired (no token it signed is still valid).
-- The refresh/resume MAC key is its own random key (no longer derived from the signing key),
-- sealed too, with an id every refresh and resume token carries, so keys rotate without ending
-- sessions.
ALTER TABLE signing_keys RENAME COLUMN private_pem TO sealed_key;
ALTER TABLE signing_keys ADD COLUMN alg TEXT NOT NULL DEFAULT 'EdDSA';
ALTER TABLE signing_keys ADD COLUMN retired_at INTEGER;

CREATE TABLE mac_keys (
  kid         TEXT PRIMARY KEY,
  sealed_key  TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER
);
