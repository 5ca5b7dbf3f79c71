//! The README's era table is generated from `tesim_model::profile::ERAS`: this test fails when
//! the two differ. `TESIM_UPDATE_README=1 cargo test -p tesim-model readme` rewrites it.

const START: &str = "<!-- era-table:start (generated from crates/model/src/profile.rs) -->\n";
const END: &str = "<!-- era-table:end -->";

#[test]
fn readme_era_table_is_generated_from_the_eras() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let begin = readme
        .find(START)
        .expect("README has the era-table start marker")
        + START.len();
    let end = readme[begin..]
        .find(END)
        .expect("README has the era-table end marker")
        + begin;
    let expected = tesim_model::profile::markdown_table();
    if readme[begin..end] == expected {
        return;
    }
    if std::env::var_os("TESIM_UPDATE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..begin], &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's era table differs from profile::ERAS; run `TESIM_UPDATE_README=1 cargo test -p tesim-model readme` and commit the result. Expected:\n{expected}"
    );
}
