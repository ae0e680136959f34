"""FaceForge."""
