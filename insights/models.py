"""The staff dashboard: the targets measured from events (docs/design.md §2)."""
