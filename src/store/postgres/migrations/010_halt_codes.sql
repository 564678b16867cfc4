-- A command's halt and a restore's pause are stored as a code (what Lifeline branches on and
-- answers with) and a note (what a person reads): before, one free-text reason held both, so
-- "halted by <name>: …" could not be answered with a catalog code, and a threshold's pause was
-- told apart from an operator's by a string prefix. Rows from before are split the same way the
-- services write them now.
ALTER TABLE commands RENAME COLUMN halt_reason TO halt_note;
ALTER TABLE commands ADD COLUMN halt_code TEXT;
UPDATE commands SET halt_code = CASE
    WHEN halt_note LIKE 'halted by %' THEN 'COMMAND_HALTED'
    WHEN halt_note LIKE 'interrupted:%' THEN 'COMMAND_INTERRUPTED'
    WHEN halt_note ~ '^[A-Z][A-Z_]*$' THEN halt_note
    ELSE 'INTERNAL'
  END
  WHERE halt_note IS NOT NULL;
-- A bare catalog code has nothing more to say.
UPDATE commands SET halt_note = NULL WHERE halt_note = halt_code;

ALTER TABLE restores RENAME COLUMN pause_reason TO pause_note;
ALTER TABLE restores ADD COLUMN pause_code TEXT;
UPDATE restores SET pause_code = CASE
    WHEN state = 'cancelled' THEN 'cancelled'
    WHEN pause_note LIKE 'threshold:%' THEN 'threshold'
    ELSE 'operator'
  END
  WHERE pause_note IS NOT NULL;
