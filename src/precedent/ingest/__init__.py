"""Mapping incident.io objects onto the knowledge map: file import, sync, and the load pipeline.

``mapping`` turns raw objects into records; ``Loader`` writes records (hash-skipping unchanged
ones, embedding in large batches); ``import_export`` and ``Syncer`` feed it from export files and
from the live API.
"""

from precedent.ingest.background import BackgroundSync, ResourceProgress, SyncStatus
from precedent.ingest.files import import_export, read_export, require_export_directory
from precedent.ingest.pipeline import Loader
from precedent.ingest.progress import NULL_PROGRESS, LabelCounts, LoadStats, Progress
from precedent.ingest.sync import Syncer, SyncOptions, SyncReport
from precedent.ingest.sync_board import SyncBoard, SyncSummary

__all__ = [
    "BackgroundSync",
    "ResourceProgress",
    "SyncStatus",
    "NULL_PROGRESS",
    "LabelCounts",
    "LoadStats",
    "Loader",
    "Progress",
    "SyncOptions",
    "SyncBoard",
    "SyncReport",
    "SyncSummary",
    "Syncer",
    "import_export",
    "read_export",
    "require_export_directory",
]
