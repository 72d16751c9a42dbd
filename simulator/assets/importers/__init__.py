"""Importers of the field's sound collections (ESC-50, FSD50K, VGGSound, AudioSet, plain CSV):
their own metadata -> an index of clips per library category, files left in place
(:mod:`.sound_formats`, :mod:`.sound_index`), through a category map (:mod:`.category_map`)."""
