"""``simulate study DIR --out RESULTS``: the human sound-localization experiment of seeds/000 as a
local web page (standard-library HTTP server on 127.0.0.1, no network).

Modules: :mod:`.plan` (the dataset's stimuli and each participant's seeded trial order),
:mod:`.geometry` (how large the image is shown and from how far: visual angles),
:mod:`.screening` (headphone screening tests, a registry), :mod:`.results` (the JSON-lines results
file, written atomically), :mod:`.pages` (the page: HTML, CSS and JS inline), :mod:`.server` (the
HTTP server and the command). docs/study.md describes the procedure and the recorded fields.
"""
