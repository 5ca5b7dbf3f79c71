//! Integration tests of the mock alerts API over real sockets.

mod it {
    pub mod auth;
    pub mod blog;
    pub mod consistency;
    pub mod edge_cases;
    pub mod errors;
    pub mod faults;
    pub mod index;
    pub mod integrations;
    pub mod keep_alive;
    pub mod limits;
    pub mod links;
    pub mod openapi;
    pub mod paging;
    pub mod rate_limit;
    pub mod sdk;
    pub mod snapshots;
    pub mod support;
    pub mod typed;
    pub mod windows;
}
