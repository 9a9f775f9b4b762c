"""schemathesis hooks for tests/tests/schemathesis.rs: how to make the API's own string formats.

A cursor is opaque to clients, so a schema can give its alphabet but not which strings decode;
these strategies make well-formed ones, as a client holding a `next_cursor` would send.
"""

import base64
from datetime import datetime, timezone

import schemathesis
from hypothesis import strategies as st


def _base64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


# The registry's lists: the key after which the page starts, unpadded base64url. Keys differ by
# list (a code, a creation time and id, a version number); a number is a well-formed key of each.
schemathesis.openapi.format(
    "page-cursor", st.integers(min_value=0, max_value=2**31 - 1).map(lambda key: _base64url(str(key)))
)
# Search results: "o:" and the offset of the next page, at most 1000.
schemathesis.openapi.format(
    "search-cursor", st.integers(min_value=0, max_value=1000).map(lambda offset: _base64url(f"o:{offset}"))
)
# The community's question list: unpadded base64url of "created_at|id" (RFC 3339, UUID) after
# which the newest-first page starts, or, with `q`, of the next result's offset.
_instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc)
)
schemathesis.openapi.format(
    "community-cursor",
    st.one_of(
        st.tuples(_instants, st.uuids()).map(lambda key: _base64url(f"{key[0].isoformat()}|{key[1]}")),
        st.integers(min_value=0, max_value=1000).map(lambda offset: _base64url(str(offset))),
    ),
)
