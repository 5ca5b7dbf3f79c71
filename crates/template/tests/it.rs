//! Integration tests of tesim-template: the shipped example templates (snapshotted renderings
//! and check results) and properties of rendering and checking.

mod it {
    mod examples;
    mod limits;
    mod properties;
}
