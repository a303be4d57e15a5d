"""A synthetic organisation, written in incident.io's export format (docs/export-format.md).

Services with a layered dependency graph, the teams that own them, on-call schedules, deploys, and
months of incidents with responder-style updates, post-mortems and follow-ups. About one fresh
incident in ten starts a planted *recurrence thread*: the same fault (failure mode, faulty service
and cause) comes back one to three times, two to eight weeks apart, often surfacing first on a
caller of the faulty service. ``judgments.jsonl`` beside the export holds one line per recurrence,
``{"query_id": <incident id>, "relevant": [{"id": <earlier incident id>, "grade": 2 | 1}]}``: grade 2
for earlier incidents of the same thread, grade 1 for up to five recent earlier incidents with the
same failure mode on the same faulty service. Recurrences and same-event duplicates (a second
declaration minutes later, merged into the first) are also linked in ``v1_incident_relationships.json``.
"""

from precedent.sources.synthetic.generator import GenerationReport, generate

__all__ = ["GenerationReport", "generate"]
