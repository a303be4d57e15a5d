// A delivery is claimed only while no other of its incident is being worked (store/neo4j/queries.py,
// _INBOX_CLAIMABLE): the look for the others goes through this index.
CREATE INDEX webhook_delivery_incident IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.incident_id);
