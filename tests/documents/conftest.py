import copy

import pytest

from docs_helpers import CLINIC, FakeRef


@pytest.fixture
def ref():
    return FakeRef()


@pytest.fixture
def clinic():
    return copy.deepcopy(CLINIC)
