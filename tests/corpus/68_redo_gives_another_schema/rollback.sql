-- 'Disables' the column instead of dropping it; the forward's IF NOT EXISTS then keeps it as is.
ALTER TABLE shop.products ALTER COLUMN active SET DEFAULT false;
