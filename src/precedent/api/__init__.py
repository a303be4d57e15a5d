"""The HTTP API (litestar): ``precedent.api.app.create_app`` builds it, ``precedent serve`` runs it."""

from precedent.config import refuse_unusable_metrics_dir

# Before any module of the API imports ``precedent.metrics``, which prometheus-client backs with
# files in PROMETHEUS_MULTIPROC_DIR: a server importing the factory itself stops on what to set.
refuse_unusable_metrics_dir()

__all__: list[str] = []
