ALTER TABLE posts ALTER COLUMN score TYPE integer;
