-- 002: guarded commands. TOTP replay protection, command policy and approvals, the kick
-- breaker's durable state, and feature flags.

ALTER TABLE operators ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

ALTER TABLE commands ADD COLUMN policy TEXT NOT NULL DEFAULT '{}';
ALTER TABLE commands ADD COLUMN approvals TEXT NOT NULL DEFAULT '[]';
ALTER TABLE commands ADD COLUMN expires_at BIGINT;
ALTER TABLE commands ADD COLUMN halt_reason TEXT;
CREATE INDEX commands_state ON commands (state);

CREATE TABLE breakers (
  name        TEXT PRIMARY KEY,
  state       TEXT NOT NULL,
  changed_at  BIGINT NOT NULL,
  changed_by  TEXT NOT NULL,
  reason      TEXT NOT NULL
);

CREATE TABLE flags (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  BIGINT NOT NULL,
  updated_by  TEXT NOT NULL,
  reason      TEXT NOT NULL
);
