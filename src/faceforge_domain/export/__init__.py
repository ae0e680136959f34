"""Export of a whole library as plain files: JSON Lines records, readable folders, sidecars."""
