ALTER TABLE accounts SET (fillfactor = 70);
