//! `oauth2`'s `AsyncHttpClient` over our [`Transport`], so token requests get the same
//! timeouts, User-Agent, size limit and tracing as every other request, and never follow a
//! redirect (a token endpoint that redirects could hand the client's credentials to another
//! host).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use http::{HeaderMap, StatusCode};

use crate::error::{Error, Result};
use crate::transport::{ApiRequest, Transport};

/// What the last token response looked like, for the error mapping that `oauth2` leaves out
/// (it drops the status and headers of error responses).
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseMeta {
    pub status: Option<StatusCode>,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

/// One token exchange's HTTP client.
pub(crate) struct OAuthHttp<'t> {
    transport: &'t Transport,
    extra_headers: HeaderMap,
    meta: Mutex<ResponseMeta>,
}

impl<'t> OAuthHttp<'t> {
    pub(crate) fn new(transport: &'t Transport, extra_headers: HeaderMap) -> Self {
        OAuthHttp {
            transport,
            extra_headers,
            meta: Mutex::new(ResponseMeta::default()),
        }
    }

    pub(crate) fn meta(&self) -> ResponseMeta {
        self.meta.lock().map(|m| m.clone()).unwrap_or_default()
    }

    async fn call_inner(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse> {
        let (parts, body) = request.into_parts();
        let url = url::Url::parse(&parts.uri.to_string())
            .map_err(|e| Error::config(format!("invalid token URL: {e}")))?;
        let mut api = ApiRequest::new(parts.method, url).no_retries();
        for (name, value) in parts.headers.iter().chain(self.extra_headers.iter()) {
            let mut value = value.clone();
            if name == http::header::AUTHORIZATION {
                value.set_sensitive(true);
            }
            api = api.header(name.clone(), value);
        }
        if !body.is_empty() {
            api = api.body(
                bytes::Bytes::from(body),
                "application/x-www-form-urlencoded",
            );
        }
        let response = self.transport.send(api, None).await?;
        if let Ok(mut meta) = self.meta.lock() {
            *meta = ResponseMeta {
                status: Some(response.status),
                headers: response.headers.clone(),
                body: response.body.clone(),
            };
        }
        if response.status.is_redirection() {
            return Err(response.into_http_error());
        }
        let mut out = http::Response::builder().status(response.status);
        if let Some(headers) = out.headers_mut() {
            *headers = response.headers.clone();
        }
        out.body(response.body.to_vec())
            .map_err(|e| Error::Transport(e.to_string().into()))
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp<'_> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.call_inner(request))
    }
}
