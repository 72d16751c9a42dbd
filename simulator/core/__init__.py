"""The core: the Scene (the contract between sampling and rendering), the frame and its geometry,
the camera models, the record's typed description, masks, size bins, render result types and the
registry every plug-in kind uses.

It imports nothing else of the project; ``renderers/`` import nothing of ``simulator/`` but this
(tests/test_import_graph.py keeps it so).
"""
