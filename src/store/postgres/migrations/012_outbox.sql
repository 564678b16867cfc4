-- 012: the notification outbox (src/routing). A message is written here before any attempt to
-- send it, so a restart or a destination that is down loses nothing; the partial unique index
-- keeps one pending message per destination and dedup key (a newer text replaces the older), so
-- a flapping signal cannot queue a flood. Secrets (routing keys, HMAC keys) are never stored:
-- the sender adds them from config at send time.
CREATE TABLE outbox (
  id              TEXT PRIMARY KEY,
  destination     TEXT    NOT NULL,
  dedup_key       TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  state           TEXT    NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  version         BIGINT NOT NULL,
  attempts        BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  last_error      TEXT,
  sent_at         BIGINT,
  dead_at         BIGINT
);
CREATE UNIQUE INDEX outbox_pending_key ON outbox (destination, dedup_key) WHERE state = 'pending';
CREATE INDEX outbox_due ON outbox (destination, state, next_attempt_at);
CREATE INDEX outbox_settled ON outbox (updated_at) WHERE state <> 'pending';
