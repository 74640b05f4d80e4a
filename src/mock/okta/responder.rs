//! The mock org's HTTP side: the rate-limit bucket, authentication, and the headers every
//! answer carries.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::{ApiErr, error_response};
use super::routes::route;
use super::state::{RateWindow, State};
use super::token;
use crate::clock::Clock;
use crate::mock::serve::{Answer, Request, Service};
use crate::mock::util::lock;

/// The org behind the shared pipeline.
pub(crate) struct OktaService {
    pub(crate) state: Arc<Mutex<State>>,
    pub(crate) clock: Arc<dyn Clock>,
}

/// Okta's request id for the request with this sequence number.
pub(crate) fn request_id(seq: u64) -> String {
    format!("mockreq{seq}")
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

impl RateWindow {
    /// Starts a new window if the last one is over.
    fn roll(&mut self, now: SystemTime) {
        if now >= self.reset_at {
            self.remaining = self.limit;
            let end = now + self.window;
            let whole = epoch_secs(end)
                + u64::from(
                    end.duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .subsec_nanos()
                        > 0,
                );
            self.reset_at = UNIX_EPOCH + Duration::from_secs(whole);
        }
    }

    /// Spends one request; `false` if the window had none left.
    fn spend(&mut self, now: SystemTime) -> bool {
        self.roll(now);
        if self.remaining == 0 {
            return false;
        }
        self.remaining -= 1;
        true
    }

    fn headers(&self) -> (u32, u32, u64) {
        (self.limit, self.remaining, epoch_secs(self.reset_at))
    }
}

impl Service for OktaService {
    fn answer(&self, req: &Request, seq: u64) -> Answer {
        let mut st = lock(&self.state);
        let now = self.clock.system_now();
        let request_id = request_id(seq);
        if req.url.path() == "/oauth2/v1/token" {
            return token::handle(&mut st, req, now);
        }
        // One rate-limit bucket for the whole management API.
        if let Some(rate) = st.rate.as_mut()
            && !rate.spend(now)
            && rate.enforced
        {
            st.rate_limited += 1;
            let err = ApiErr::new(
                429,
                "E0000047",
                "API call exceeded rate limit due to too many requests.",
            );
            return error_response(&err, &request_id);
        }
        let principal = match token::authenticate(&mut st, req, now) {
            Ok(p) => p,
            Err(err) => return error_response(&err, &request_id),
        };
        match route(&mut st, req, now, &principal) {
            Ok((status, body, links)) => {
                let mut t = Answer::new(status);
                if status != 204 {
                    t = t.set_body_json(body);
                }
                for link in links {
                    t = t.append_header("link", &link);
                }
                t
            }
            Err(err) => error_response(&err, &request_id),
        }
    }

    /// Every answer carries `X-Okta-Request-Id` and `Date`; the org's own answers also carry
    /// the rate-limit headers (an injected fault stands for something in front of Okta).
    fn finish(&self, answer: Answer, seq: u64, injected: bool) -> Answer {
        let now = self.clock.system_now();
        let mut answer = answer
            .insert_header("x-okta-request-id", &request_id(seq))
            .insert_header("date", &httpdate::fmt_http_date(now));
        if injected {
            return answer;
        }
        let mut st = lock(&self.state);
        if let Some(rate) = st.rate.as_mut() {
            rate.roll(now);
            let (limit, remaining, reset) = rate.headers();
            answer = answer
                .insert_header("x-rate-limit-limit", &limit.to_string())
                .insert_header("x-rate-limit-remaining", &remaining.to_string())
                .insert_header("x-rate-limit-reset", &reset.to_string());
        }
        answer
    }
}
