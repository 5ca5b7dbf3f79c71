//! Integration tests of the scenario compiler.

mod errors;
mod faithful;
mod generated_names;
mod history_only;
mod limits;
mod properties;
mod reference_shapes;
mod shipped;
mod stream;
