"""Off-page notices (SMS / voice call) with preferences and digests (docs/design.md §2)."""
