-- Dangerous: one UPDATE over every event row holds row locks for its whole duration and
-- doubles the table's size until vacuum.
ALTER TABLE events ADD COLUMN source text;
UPDATE events SET source = properties ->> 'source';
