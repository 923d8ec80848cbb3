ALTER TABLE accounts ADD COLUMN flag boolean;
