"""Plugin adapters: manifests found on disk and JSON Schema checks for plugin configs."""

from faceforge_adapters.plugins.discovery import DirectoryPluginSource
from faceforge_adapters.plugins.schemas import JsonSchemaConfigs

__all__ = ["DirectoryPluginSource", "JsonSchemaConfigs"]
