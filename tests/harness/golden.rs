//! Golden files for user-visible text: compared exactly, accepted with `LEADLEX_BLESS=1`.

use crate::common::root;

/// Compares `actual` with the golden file at `path` (relative to the crate), or writes it
/// when `LEADLEX_BLESS` is set.
pub fn compare(path: &str, actual: &str) {
    let golden = root().join(path);
    if std::env::var_os("LEADLEX_BLESS").is_some() {
        std::fs::write(&golden, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    if actual != expected {
        let diff = similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .header(path, "actual")
            .to_string();
        panic!("{path} changed (LEADLEX_BLESS=1 accepts it):\n{diff}");
    }
}
