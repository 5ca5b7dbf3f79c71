//! The sources of deliveries, end to end against loopback receivers, in-process.

mod custom;
mod embedded_api;
