//! Integration tests of tesim-sender against real local servers (127.0.0.1:0 only).

#[path = "it/auth.rs"]
mod auth;
#[path = "it/delivery.rs"]
mod delivery;
#[path = "it/failures.rs"]
mod failures;
#[path = "it/load.rs"]
mod load;
#[path = "it/load_shapes.rs"]
mod load_shapes;
#[path = "it/load_stream.rs"]
mod load_stream;
#[path = "it/load_wire.rs"]
mod load_wire;
#[path = "it/parsers.rs"]
mod parsers;
#[path = "it/stop.rs"]
mod stop;
#[path = "it/stream.rs"]
mod stream;
#[path = "it/support.rs"]
mod support;
#[path = "it/tls.rs"]
mod tls;
