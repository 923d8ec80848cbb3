DROP SEQUENCE shop.ticket_seq;
