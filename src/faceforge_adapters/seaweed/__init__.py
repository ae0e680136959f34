"""The managed SeaweedFS (``weed``): Core's default local S3."""

from faceforge_adapters.seaweed.process import SeaweedError, SeaweedSettings, settings_for
from faceforge_adapters.seaweed.supervisor import ManagedSeaweed

__all__ = ["ManagedSeaweed", "SeaweedError", "SeaweedSettings", "settings_for"]
