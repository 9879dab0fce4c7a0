"""A static-files finder that serves plotly.js from the installed plotly package.

Only ``plotly/plotly.min.js``: the package's data folder also holds a 5 MB widget bundle,
sample datasets and templates that no page uses and that collectstatic should not publish.
No copy is committed and nothing is fetched from a CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, overload

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = "plotly/plotly.min.js"
_SOURCE = Path(plotly.__file__).parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Finds ``plotly/plotly.min.js`` (``{% static "plotly/plotly.min.js" %}``) and nothing else."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(_SOURCE))
        self.storage.prefix = "plotly"  # type: ignore[attr-defined]  # read by collectstatic and whitenoise

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...
    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...
    def find(self, path: str, find_all: bool = False) -> str | list[str] | None:
        if path != PLOTLY_JS:
            return []  # Django's own finders answer [] for "not here", whatever find_all says
        found = str(_SOURCE / "plotly.min.js")
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Any:
        # The storage's prefix makes collectstatic (and whitenoise) publish it as plotly/….
        yield "plotly.min.js", self.storage
