from __future__ import annotations

from chancy import Chancy
from chancy.migrate import EXPECTED_VERSION


async def test_fresh_database_is_at_the_expected_version(chancy: Chancy) -> None:
    assert await chancy.schema_version() == EXPECTED_VERSION
    assert await chancy.check_schema() == EXPECTED_VERSION
