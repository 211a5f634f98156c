"""Community dialect voice packs: volunteers record guide sentences in their dialect, another person reviews each
clip, approved clips are served instead of synthesized Mandarin (elder_mode/models.py)."""
