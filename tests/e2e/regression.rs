//! One test per bug fixed, named after the symptom a user saw (`listing_skips_objects_after_restart`,
//! not `fix_issue_12`), so the bug cannot come back unnoticed.
//!
//! Add yours at the end: a short doc line saying what went wrong, then a test that fails on the
//! code before the fix. Use the helpers of the other modules (`crate::common`, `crate::etl`);
//! a bug found by a Python SDK test gets its regression test in `tests/python/` instead.
