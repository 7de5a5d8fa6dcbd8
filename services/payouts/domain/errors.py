"""Typed failures of the payouts domain; the edges turn them into dead letters or problems."""


class PayoutsDomainError(ValueError):
    """An event or command the domain cannot apply (a ValueError, so a consumer dead-letters it)."""


class UnknownPartyError(PayoutsDomainError):
    """A reversal or release names a party that has no amount in the hold."""


class OverReversalError(PayoutsDomainError):
    """A pending reversal would take more from a party than the hold still has."""


class NotDueError(PayoutsDomainError):
    """A release was attempted before the hold's release instant, or on a hold not holding."""
