//! `docs/checks.md` carries the catalogue generated from the code; this test fails when it is
//! stale. Regenerate with `UPDATE_DOCS=1 cargo test -p tesim-conformance --test it docs`.

const BEGIN: &str = "<!-- BEGIN GENERATED CATALOGUE: edit crates/conformance/src/catalogue.rs, then run UPDATE_DOCS=1 cargo test -p tesim-conformance --test it docs -->\n";
const END: &str = "<!-- END GENERATED CATALOGUE -->";

#[test]
fn checks_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/checks.md");
    let text = std::fs::read_to_string(path).expect("docs/checks.md exists");
    let start = text
        .find(BEGIN)
        .expect("docs/checks.md has the BEGIN marker")
        + BEGIN.len();
    let end = text.find(END).expect("docs/checks.md has the END marker");
    let expected = format!(
        "{}{}{}",
        &text[..start],
        tesim_conformance::catalogue_markdown(),
        &text[end..]
    );
    if text != expected {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, expected).unwrap();
        } else {
            panic!(
                "docs/checks.md is stale: run UPDATE_DOCS=1 cargo test -p tesim-conformance --test it docs"
            );
        }
    }
}

/// The README states how many checks there are; a new check must update it.
#[test]
fn readme_counts_the_checks() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md exists");
    let claim = format!(
        "{} checks with stable ids",
        tesim_conformance::CATALOGUE.len()
    );
    assert!(
        readme.contains(&claim),
        "README.md must say `{claim}` (the catalogue has {} checks)",
        tesim_conformance::CATALOGUE.len()
    );
}
