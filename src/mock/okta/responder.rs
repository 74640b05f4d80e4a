//! The mock org's HTTP side: faults, recording, the rate-limit bucket, authentication and the
//! headers every answer carries.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wiremock::{Request, Respond, ResponseTemplate};

use super::error::{ApiErr, error_response};
use super::routes::route;
use super::state::{OktaRecordedRequest, State};
use super::token;
use crate::clock::Clock;
use crate::mock::util::lock;
use crate::mock::{Fault, Faults};

/// The wiremock responder for every request the org receives.
pub(crate) struct Handler {
    pub state: Arc<Mutex<State>>,
    pub clock: Arc<dyn Clock>,
    pub faults: Faults,
}

fn record(req: &Request) -> OktaRecordedRequest {
    let headers = req
        .headers
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_ascii_lowercase();
            let value = v.to_str().unwrap_or_default();
            let shown = match name.as_str() {
                "authorization" => format!(
                    "{} [redacted]",
                    value.split_once(' ').map(|(s, _)| s).unwrap_or("")
                ),
                _ => value.to_owned(),
            };
            (name, shown)
        })
        .collect();
    OktaRecordedRequest {
        method: req.method.to_string(),
        path: req.url.path().to_owned(),
        query: req.url.query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&req.body).into_owned(),
    }
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

impl Respond for Handler {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let fault = self.faults.take();
        let delay = match &fault {
            Some(Fault::Delay(d)) => Some(*d),
            _ => None,
        };
        let answer = self.answer(req, fault.and_then(|f| f.response()));
        match delay {
            Some(d) => answer.set_delay(d),
            None => answer,
        }
    }
}

impl Handler {
    fn answer(&self, req: &Request, fault: Option<ResponseTemplate>) -> ResponseTemplate {
        let mut st = lock(&self.state);
        let now = self.clock.system_now();
        st.request_count += 1;
        if st.record_requests {
            st.requests.push(record(req));
        }
        let request_id = format!("mockreq{}", st.request_count);
        let date = httpdate::fmt_http_date(now);
        let with_common = |t: ResponseTemplate| {
            t.insert_header("x-okta-request-id", request_id.as_str())
                .insert_header("date", date.as_str())
        };
        if let Some(fault) = fault {
            return with_common(fault);
        }
        if req.url.path() == "/oauth2/v1/token" {
            return with_common(token::handle(&mut st, req, now));
        }

        // One rate-limit bucket for the whole management API.
        let mut rate_headers = None;
        if let Some(rate) = st.rate.as_mut() {
            if now >= rate.reset_at {
                rate.remaining = rate.limit;
                let reset = epoch_secs(now + rate.window)
                    + u64::from(
                        (now + rate.window)
                            .duration_since(UNIX_EPOCH)
                            .unwrap_or_default()
                            .subsec_nanos()
                            > 0,
                    );
                rate.reset_at = UNIX_EPOCH + Duration::from_secs(reset);
            }
            let exhausted = rate.remaining == 0;
            if !exhausted {
                rate.remaining -= 1;
            }
            let headers = (rate.limit, rate.remaining, epoch_secs(rate.reset_at));
            if exhausted {
                st.rate_limited += 1;
                let err = ApiErr::new(
                    429,
                    "E0000047",
                    "API call exceeded rate limit due to too many requests.",
                );
                return with_common(with_rate(error_response(&err, &request_id), headers));
            }
            rate_headers = Some(headers);
        }

        let finish = |t: ResponseTemplate| {
            let t = with_common(t);
            match rate_headers {
                Some(h) => with_rate(t, h),
                None => t,
            }
        };
        let principal = match token::authenticate(&mut st, req, now) {
            Ok(p) => p,
            Err(err) => {
                return finish(error_response(&err, &request_id));
            }
        };
        match route(&mut st, req, now, &principal) {
            Ok((status, body, links)) => {
                let mut t = ResponseTemplate::new(status);
                if status != 204 {
                    t = t.set_body_json(body);
                }
                for link in links {
                    t = t.append_header("link", link.as_str());
                }
                finish(t)
            }
            Err(err) => finish(error_response(&err, &request_id)),
        }
    }
}

fn with_rate(t: ResponseTemplate, (limit, remaining, reset): (u32, u32, u64)) -> ResponseTemplate {
    t.insert_header("x-rate-limit-limit", limit.to_string().as_str())
        .insert_header("x-rate-limit-remaining", remaining.to_string().as_str())
        .insert_header("x-rate-limit-reset", reset.to_string().as_str())
}
