from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def published():
    """Published reference values (bundled copy of ../shared/data/published_reference.json)."""
    import clmkit

    return clmkit.datasets.load_published_reference()
