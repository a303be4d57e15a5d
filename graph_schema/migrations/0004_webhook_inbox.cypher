// The webhook inbox: (:WebhookDelivery) bookkeeping nodes beside the map (never :Entity).
CREATE CONSTRAINT webhook_delivery_id IF NOT EXISTS FOR (d:WebhookDelivery) REQUIRE d.id IS UNIQUE;
CREATE INDEX webhook_delivery_claim IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.state, d.available_at);
CREATE INDEX webhook_delivery_received IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.received_at);
