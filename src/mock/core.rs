//! What every mock server handle holds: its HTTP server, its fault rules and its request log.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use super::faults::Faults;
use super::record::{RecordedRequest, Recorder};
use super::serve::{Front, HttpServer, Service};

/// Where a mock listens unless told otherwise: 127.0.0.1 and a port the OS picks.
pub(crate) const LOOPBACK: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// The shared part of a mock server's handle; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Core {
    http: Arc<HttpServer>,
    pub(crate) faults: Faults,
    pub(crate) recorder: Recorder,
}

impl Core {
    /// Binds `address`, builds the mock's service knowing its root URI, and serves it.
    pub(crate) fn start<S: Service>(
        address: SocketAddr,
        base_path: &str,
        max_records: usize,
        service: impl FnOnce(&str) -> S,
    ) -> io::Result<Core> {
        let bound = HttpServer::bind(address)?;
        let service = service(&bound.uri());
        let faults = Faults::with_base_path(base_path);
        let recorder = Recorder::new(max_records);
        let front = Front::new(service, faults.clone(), recorder.clone());
        let http = bound.serve(Arc::new(front))?;
        Ok(Core {
            http: Arc::new(http),
            faults,
            recorder,
        })
    }

    /// `http://host:port`.
    pub(crate) fn uri(&self) -> String {
        self.http.uri()
    }

    /// The address the server listens on.
    pub(crate) fn address(&self) -> SocketAddr {
        self.http.address()
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.recorder.requests()
    }

    pub(crate) fn request_count(&self) -> usize {
        self.recorder.count()
    }

    /// Forgets recorded requests and the count, and disarms every fault.
    pub(crate) fn reset(&self) {
        self.recorder.reset();
        self.faults.clear();
    }
}
