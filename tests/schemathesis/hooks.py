"""schemathesis hooks for tests/tests/schemathesis.rs: how to make the API's own string formats.

A cursor is opaque to clients, so a schema can give its alphabet but not which strings decode;
these strategies make well-formed ones, as a client holding a `next_cursor` would send.
"""

import base64

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
