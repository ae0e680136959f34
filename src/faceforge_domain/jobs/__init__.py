"""Durable jobs: the model, the type registry, the use cases and the in-process executor."""
