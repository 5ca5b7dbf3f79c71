//! Integration tests of the receiver over real loopback sockets.

mod it {
    mod auth;
    mod capture;
    pub mod client;
    mod limits;
    mod modes;
    mod script;
}
