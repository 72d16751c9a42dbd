"""Asset libraries: category sounds and meshes (the embedded default and user folders)."""
from .library import AssetLibrary, MeshAsset, SourceLibrary, default_library_root
from .user import open_library

__all__ = ["AssetLibrary", "MeshAsset", "SourceLibrary", "default_library_root", "open_library"]
