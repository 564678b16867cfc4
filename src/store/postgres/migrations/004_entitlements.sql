-- 004: the last known good entitlement per player, so an entitlement outage never makes a player
-- who owned the game look as if they did not.
CREATE TABLE entitlement_cache (
  player_id   TEXT PRIMARY KEY,
  licence     TEXT NOT NULL,
  verified_at BIGINT NOT NULL
);
