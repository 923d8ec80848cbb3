-- Takes ACCESS EXCLUSIVE on accounts, then keeps it for a known time before committing.
ALTER TABLE accounts ADD COLUMN note text;
SELECT pg_sleep(2);
