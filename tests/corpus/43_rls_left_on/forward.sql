ALTER TABLE shop.products ENABLE ROW LEVEL SECURITY;
CREATE POLICY products_in_stock ON shop.products FOR SELECT TO app_reader USING (stock > 0);
