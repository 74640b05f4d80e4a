//! The one redactor (interim: the `redactor` branch replaces this file with the full one).

use http::HeaderMap;

/// Removes secrets from text headed for an error message.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn none() -> Self {
        Redactor::default()
    }

    pub(crate) fn from_request(headers: &HeaderMap, _body: Option<&[u8]>) -> Self {
        let secrets = headers
            .values()
            .filter(|v| v.is_sensitive())
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split_once(' ').map_or(v, |(_, s)| s).to_owned())
            .filter(|s| s.len() >= 4)
            .collect();
        Redactor { secrets }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "[redacted]");
        }
        out
    }

    pub(crate) fn snippet(&self, body: &[u8]) -> String {
        crate::error::snippet(self.scrub(&String::from_utf8_lossy(body)).as_bytes())
    }
}
