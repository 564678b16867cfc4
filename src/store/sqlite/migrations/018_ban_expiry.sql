-- 018: bans that end by themselves (`lifeline ban --for 7d`). A ban with expires_at stands until
-- then; reads compare it with their own time, so nothing has to run at expiry. The next ban of
-- the same player first closes the expired one (lifted_at = expires_at, lifted_by 'system'), so
-- the one-in-force index still holds. NULL: until lifted.
ALTER TABLE bans ADD COLUMN expires_at INTEGER;
