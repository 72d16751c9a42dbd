"""``simulate preview``: a static HTML site (contact sheet, one page per sample) of a dataset.

:mod:`.site` reads the dataset and writes the pages, :mod:`.topdown` draws a sample's scene from
above (head frame, metres), :mod:`.templates` holds the inlined CSS and JS (COCO RLE decoding,
canvas overlays, contact-sheet filters). See docs/preview.md.
"""
