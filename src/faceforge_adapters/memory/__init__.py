"""In-memory implementations of the ports: the fakes domain tests run against.

They follow the same contract as the SQLite and filesystem adapters (the contract tests run both), so
a service tested here behaves the same in production. One module per area.
"""

from faceforge_adapters.memory.assets import InMemoryAssetRepository
from faceforge_adapters.memory.blobs import InMemoryBlobStore
from faceforge_adapters.memory.entities import InMemoryEntityRepository
from faceforge_adapters.memory.partial_uploads import InMemoryPartialUploads
from faceforge_adapters.memory.space import InMemoryStorageSpace
from faceforge_adapters.memory.state import MemoryState
from faceforge_adapters.memory.uow import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory

__all__ = [
    "InMemoryAssetRepository",
    "InMemoryBlobStore",
    "InMemoryEntityRepository",
    "InMemoryPartialUploads",
    "InMemoryStorageSpace",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "MemoryState",
]
