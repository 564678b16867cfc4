-- When an operator last used their token (an authenticated admin request), to the minute: what
-- `lifeline operators list` and GET /admin/v1/operators show, so an unused account stands out.
ALTER TABLE operators ADD COLUMN last_seen_at BIGINT;
