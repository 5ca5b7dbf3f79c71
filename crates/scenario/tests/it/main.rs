//! Integration tests of the scenario compiler.

mod errors;
mod faithful;
mod limits;
mod properties;
mod shipped;
