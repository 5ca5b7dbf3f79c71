//! Integration tests of the scenario compiler.

mod errors;
mod properties;
mod shipped;
