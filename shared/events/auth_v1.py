"""Topic `auth.revocations.v1`: revoked read tokens, published by whichever service an admin asked.

Every process of every service reads the whole topic into memory at start and follows it (no
consumer group), so a revocation is honoured everywhere within seconds. The topic is compacted
(the latest record per key is kept) and deletes records older than `RETENTION`, by which time
every token a record concerns has expired. Keys: `token:<token id>` for one token,
`party:<party type>:<party id>` for every token of a party issued before an instant.
"""

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from shared.events.common import EventModel, Id, Timestamp, payee_key
from shared.events.topic_schema import TopicSchema
from shared.read_tokens import MAX_READ_TOKEN_LIFETIME, TOKEN_ID_PATTERN, ReadPartyType

TOPIC = "auth.revocations.v1"
SOURCE = "/settlement/auth"
SCHEMA_VERSION = 1
RETENTION = MAX_READ_TOKEN_LIFETIME + timedelta(days=1)
"""How long the topic keeps a record: the longest token lifetime and a day."""
TOPIC_CONFIG = {
    "cleanup.policy": "compact,delete",
    "retention.ms": str(int(RETENTION.total_seconds() * 1000)),
}

TokenId = Annotated[str, Field(pattern=f"^{TOKEN_ID_PATTERN}$")]


class TokenRevoked(EventModel):
    """One read token may no longer be used."""

    TYPE = "auth.token_revoked"

    token_id: TokenId
    """The token's `jti`."""
    expires_at: Timestamp
    """When the token expires anyway (an upper bound when only its id was known); the revocation
    is forgotten then."""
    revoked_at: Timestamp

    @property
    def record_key(self) -> str:
        return f"token:{self.token_id}"


class PartyTokensRevoked(EventModel):
    """Every read token of one party issued before an instant may no longer be used."""

    TYPE = "auth.party_tokens_revoked"

    party_type: ReadPartyType
    party_id: Id
    issued_before: Timestamp
    """Tokens whose `iat` (whole seconds) is before this instant are refused."""
    revoked_at: Timestamp

    @property
    def record_key(self) -> str:
        return f"party:{payee_key(self.party_type, self.party_id)}"


AuthEvent = TokenRevoked | PartyTokensRevoked
_MODELS: tuple[type[AuthEvent], ...] = (TokenRevoked, PartyTokensRevoked)
_SCHEMA: TopicSchema[AuthEvent] = TopicSchema(
    topic=TOPIC, source=SOURCE, version=SCHEMA_VERSION, models=_MODELS, upcasters={}
)
"""Add an upcaster (version n -> n + 1) to `upcasters` with each new SCHEMA_VERSION."""
EVENT_TYPES = _SCHEMA.event_types
upcast = _SCHEMA.upcast
parse = _SCHEMA.parse
parse_envelope = _SCHEMA.parse_envelope
to_envelope = _SCHEMA.to_envelope
to_record = _SCHEMA.to_record
