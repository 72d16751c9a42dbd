"""Asset libraries: category sounds and meshes (the embedded default and user folders)."""
from .library import AssetLibrary, MeshAsset, default_library_root

__all__ = ["AssetLibrary", "MeshAsset", "default_library_root"]
