"""Tests for precedent.sources."""
