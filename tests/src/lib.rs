//! End-to-end behaviour tests live in `tests/`; this library is empty on purpose so that the\n//! tests have a crate to belong to. It must not be depended on.
