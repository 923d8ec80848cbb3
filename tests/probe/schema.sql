-- Two related tables with rows, a trigger, and nothing else: the stage for each lock fixture.
CREATE TABLE accounts (id integer PRIMARY KEY, name text, balance integer);
INSERT INTO accounts SELECT g, 'account ' || g, g FROM generate_series(1, 2000) g;
CREATE TABLE orders (id integer PRIMARY KEY, account_id integer, amount integer);
INSERT INTO orders SELECT g, 1 + g % 2000, g % 977 FROM generate_series(1, 20000) g;
CREATE FUNCTION orders_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_touch();
