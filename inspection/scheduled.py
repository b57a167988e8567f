"""Inspection sweepers, registered with core.scheduler on import."""
