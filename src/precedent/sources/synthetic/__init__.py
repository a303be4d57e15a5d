"""A synthetic organisation, written in incident.io's export format.

Services with a layered dependency graph, the teams that own them, on-call schedules, deploys, and
months of incidents with responder-style updates, post-mortems and follow-ups. Some root causes are
planted to recur; ``judgments.jsonl`` records them as relevance labels for evaluating retrieval.
"""

from precedent.sources.synthetic.generator import GenerationReport, generate

__all__ = ["GenerationReport", "generate"]
