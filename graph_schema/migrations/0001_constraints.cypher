// Every node carries :Entity with a unique id, so MERGE by id is an index seek whatever its label.
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (m:PrecedentMeta) REQUIRE m.key IS UNIQUE;
CREATE INDEX entity_occurred_at IF NOT EXISTS FOR (n:Entity) ON (n.occurred_at);
