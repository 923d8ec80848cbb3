ALTER TYPE shop.order_status ADD VALUE 'refunded';
