DROP INDEX shop.products_title_idx;
