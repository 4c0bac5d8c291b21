-- Stand-in: a reduced Guacamole schema (the real 001-create-schema.sql has ~25 tables). The first
-- two tables are the real ones' names and key columns, enough to tell a schema from none.
CREATE TYPE guacamole_entity_type AS ENUM ('USER', 'USER_GROUP');
CREATE TABLE guacamole_entity (
  entity_id serial NOT NULL PRIMARY KEY,
  name varchar(128) NOT NULL,
  type guacamole_entity_type NOT NULL,
  UNIQUE (type, name)
);
CREATE TABLE guacamole_user (
  user_id serial NOT NULL PRIMARY KEY,
  entity_id integer NOT NULL UNIQUE REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
  password_hash bytea NOT NULL,
  password_salt bytea,
  password_date timestamptz NOT NULL,
  disabled boolean NOT NULL DEFAULT FALSE
);
