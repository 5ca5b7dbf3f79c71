//! Integration tests of the scenario compiler.

mod errors;
mod faithful;
mod limits;
mod properties;
mod reference_shapes;
mod shipped;
mod stream;
