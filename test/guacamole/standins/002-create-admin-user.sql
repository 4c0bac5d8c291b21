-- Stand-in: the default administrator's rows (the real file also grants its permissions).
INSERT INTO guacamole_entity (name, type) VALUES ('guacadmin', 'USER');
INSERT INTO guacamole_user (entity_id, password_hash, password_date)
  SELECT entity_id, sha256('guacadmin'::bytea), now() FROM guacamole_entity WHERE name = 'guacadmin';
