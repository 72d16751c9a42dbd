"""The unit of work every executor runs: make one sample of a spec and write it through the sink."""
from __future__ import annotations

from typing import Any

from ..encode import encode_sample
from ..errors import SampleError
from ..pipeline import SampleFailed, SampleMaker
from ..spec.spec import Spec


class SampleJob:
    """Make and write one sample of ``spec`` through ``sink`` (see the module docstring)."""

    def __init__(self, spec: Spec, sink) -> None:
        self.spec = spec
        self.sink = sink
        self._maker: SampleMaker | None = None

    def __getstate__(self):  # the renderers stay in the worker that built them
        return {"spec": self.spec, "sink": self.sink, "_maker": None}

    def start(self) -> None:
        """Build this worker's sample factory (renderers, library, plan)."""
        if self._maker is None:
            self._maker = SampleMaker(self.spec)

    def stop(self) -> None:
        if self._maker is not None:
            self._maker.close()
            self._maker = None

    def __call__(self, index: int) -> dict[str, Any]:
        """The sample's manifest entry, or ``{"index", "failed"}`` if no valid Scene exists for it
        (the run goes on; dataset.json lists the failures)."""
        self.start()
        try:
            sample = self._maker.make(index)
        except SampleFailed as exc:
            return {"index": index, "failed": str(exc)}
        except (ValueError, KeyError) as exc:  # a Scene the spec's checks let through but a renderer refuses
            raise SampleError(f"sample {index} cannot be made: {' '.join(str(exc).split())[:300]}") from None
        return self.sink.write(encode_sample(sample))
