-- Written the common way: the CHECK is validated at once, under ACCESS EXCLUSIVE.
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);
