// Counting what a viewer may see subtracts the (few) private nodes from the count store's totals.
CREATE INDEX entity_visibility IF NOT EXISTS FOR (n:Entity) ON (n.visibility);
