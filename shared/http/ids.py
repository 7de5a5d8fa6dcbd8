"""Ids in request paths and query strings, as every service stores them: 1..200 characters
without control characters (``shared.events.common.ID_MAX_LENGTH``; the orders service's own
schemas say the same). A NUL byte, which PostgreSQL text cannot hold, is thus a 422 at the edge,
not a 500 from the database."""

from typing import Annotated

from fastapi import Path, Query

from shared.events.common import ID_MAX_LENGTH

ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"

IdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
ShopIdQuery = Annotated[
    str | None,
    Query(
        min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN, description="the order's shop"
    ),
]
