"""Models of this domain; filled in by its own issue."""
