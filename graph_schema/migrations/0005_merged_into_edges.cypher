// Data, not schema: updates written before a merge became a MERGED_INTO edge kept incident.io's
// merged_into_incident_id as a property (p_ prefixed, see store/neo4j/convert.py), which showed a
// private incident's id to anyone who could see the update. Link the update to that incident when
// it is in the map (the one visibility rule then hides the edge), then drop the property. Both
// statements may run again: MERGE finds the edge, and the second matches nothing once done.
MATCH (u:IncidentUpdate) WHERE u.p_merged_into_incident_id IS NOT NULL
MATCH (t:Entity {id: u.p_merged_into_incident_id}) WHERE t:Incident
MERGE (u)-[:MERGED_INTO]->(t);
MATCH (u:IncidentUpdate) WHERE u.p_merged_into_incident_id IS NOT NULL
REMOVE u.p_merged_into_incident_id;
