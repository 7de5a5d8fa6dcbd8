"""Which database failures make the fold retry its batch at once."""

from sqlalchemy.exc import DBAPIError

from services.ledger.adapters.db.unit_of_work import is_conflict


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_deadlocks_serialization_failures_and_racing_inserts_are_conflicts_raw_or_wrapped() -> None:
    for state in ("40P01", "40001", "23505"):
        assert is_conflict(DriverError(state))
        assert is_conflict(DBAPIError("SELECT 1", None, DriverError(state)))


def test_other_failures_are_not() -> None:
    assert not is_conflict(DriverError("23503"))  # a foreign key: retrying cannot help
    assert not is_conflict(DBAPIError("SELECT 1", None, DriverError("22003")))
    assert not is_conflict(ValueError("poison"))
