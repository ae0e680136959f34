"""Plugins: manifests, the registry, permission grants, per-plugin tokens and JSON-Schema configs."""
