"""Tests for precedent.sources.incidentio."""
