//! The HTTP front every mock server runs on: a small hyper server on its own thread, and the
//! per-request pipeline (record, aimed fault, handler, delivery) the three mocks share.
//!
//! wiremock keeps a copy of every request each `Mock` matches, for as long as the server
//! lives, and can only answer or drop a connection before doing any work; the mocks need
//! bounded records and faults such as "processed, then the connection dropped", a TCP reset
//! or a body cut short, so they drive hyper themselves.

mod answer;
mod front;
mod request;
mod server;

pub(crate) use answer::Answer;
pub(crate) use front::{Front, Service};
pub(crate) use request::Request;
pub(crate) use server::HttpServer;
