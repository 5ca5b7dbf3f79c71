//! Integration tests of the scenario compiler.

mod errors;
mod limits;
mod properties;
mod shipped;
