DROP EVENT TRIGGER note_ddl;
DROP FUNCTION shop.note_ddl();
