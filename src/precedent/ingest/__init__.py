"""Mapping incident.io objects onto the knowledge map: file import, sync, and the load pipeline."""

from precedent.ingest.files import import_export, read_export
from precedent.ingest.pipeline import Loader
from precedent.ingest.progress import NULL_PROGRESS, LabelCounts, LoadStats, Progress

__all__ = ["NULL_PROGRESS", "LabelCounts", "LoadStats", "Loader", "Progress", "import_export", "read_export"]
