//! Integration tests of tesim-capture: one binary, modules by feature.

#[path = "it/identify.rs"]
mod identify;
