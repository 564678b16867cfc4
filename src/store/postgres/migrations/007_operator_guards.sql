-- 007: two-person operator changes and the TOTP guessing guard.
-- An operator created through an approved request has no token and no TOTP secret until they
-- redeem their enrolment token: only its SHA-256 is kept (enrol_hash), single-use, until
-- enrol_expires_at. enrolled_at and role_changed_at say since when the operator holds their
-- power, so one made or promoted after a command was requested cannot approve it.
ALTER TABLE operators ADD COLUMN enrol_hash TEXT;
ALTER TABLE operators ADD COLUMN enrol_expires_at BIGINT;
ALTER TABLE operators ADD COLUMN enrolled_at BIGINT;
ALTER TABLE operators ADD COLUMN role_changed_at BIGINT;
-- Failed step-ups in the current window, and the lock they lead to, shared by every node.
ALTER TABLE operators ADD COLUMN stepup_locked_until BIGINT;
CREATE TABLE stepup_failures (
  operator_id TEXT   NOT NULL,
  at          BIGINT NOT NULL
);
CREATE INDEX stepup_failures_by_operator ON stepup_failures (operator_id, at);
