//! Aimed faults, the same on every mock server: a rule names the requests it hits (method,
//! path pattern, optionally a predicate), how many times, and the [`Fault`] they get.

mod fault;
mod pattern;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http::Method;
use wiremock::{Match, Mock, MockServer, Request as WiremockRequest};

pub use fault::Fault;
use pattern::PathPattern;

use super::record::RecordedRequest;
use super::util::lock;

type Predicate = Arc<dyn Fn(&RecordedRequest) -> bool + Send + Sync>;

/// The fault rules of one mock server, tried in the order they were armed; cheap to clone
/// (shared).
///
/// A rule hits a request when its method and path pattern match and its predicate (if any)
/// holds; the first rule that hits answers with its fault and, if it was armed for a number
/// of times, counts one down (and is dropped once spent). A rule armed without
/// [`times`](FaultRule::times) hits every matching request until [`clear`](Self::clear) or
/// [`ArmedFault::disarm`].
///
/// Path patterns are matched against the path from the server's root and, for the SCIM
/// server, also against the path under its base (`/Users` matches `/scim/v2/Users`).
/// A segment `*` matches any one segment, `**` any number of them; the query is not part of
/// the path (use [`matching`](FaultRule::matching) for it).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use http::Method;
/// use scimkit::mock::{Fault, ScimServer};
/// use scimkit::scim::User;
///
/// let server = ScimServer::start().await;
/// let scim = server.client();
/// // The first POST /Users is processed, then the connection drops: the user exists,
/// // but the client never hears so.
/// let fault = server
///     .faults()
///     .on(Method::POST, "/Users")
///     .times(1)
///     .respond(Fault::DropAfterProcessing);
/// assert!(scim.users().create(&User::new("ada")).await.is_err());
/// assert_eq!(fault.hits(), 1);
/// assert_eq!(server.users().len(), 1);
/// assert_eq!(server.requests()[0].status, None);
/// # }
/// ```
#[derive(Clone)]
pub struct Faults {
    book: Arc<Mutex<Book>>,
    base_path: Arc<str>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::with_base_path("")
    }
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let book = lock(&self.book);
        f.debug_struct("Faults")
            .field("rules", &book.rules)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Book {
    rules: Vec<Rule>,
    next_id: u64,
}

struct Rule {
    id: u64,
    method: Option<Method>,
    pattern: Option<PathPattern>,
    predicate: Option<Predicate>,
    remaining: Option<usize>,
    fault: Fault,
    hits: Arc<AtomicUsize>,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("method", &self.method)
            .field("pattern", &self.pattern)
            .field("predicate", &self.predicate.is_some())
            .field("remaining", &self.remaining)
            .field("fault", &self.fault)
            .finish()
    }
}

impl Rule {
    fn unaimed(&self) -> bool {
        self.method.is_none() && self.pattern.is_none() && self.predicate.is_none()
    }
}

impl Faults {
    pub(crate) fn with_base_path(base_path: &str) -> Faults {
        Faults {
            book: Arc::default(),
            base_path: Arc::from(base_path),
        }
    }

    /// Starts a rule for requests with this method and a path matching `path`.
    pub fn on(&self, method: Method, path: &str) -> FaultRule {
        FaultRule {
            faults: self.clone(),
            method: Some(method),
            pattern: Some(PathPattern::parse(path)),
            predicate: None,
            times: None,
        }
    }

    /// Starts a rule for requests of any method with a path matching `path`.
    pub fn on_path(&self, path: &str) -> FaultRule {
        FaultRule {
            pattern: Some(PathPattern::parse(path)),
            ..self.on_any()
        }
    }

    /// Starts a rule for every request, whatever it is.
    pub fn on_any(&self) -> FaultRule {
        FaultRule {
            faults: self.clone(),
            method: None,
            pattern: None,
            predicate: None,
            times: None,
        }
    }

    /// How many more requests the armed rules will hit, counting only rules armed with
    /// [`times`](FaultRule::times).
    pub fn pending(&self) -> usize {
        lock(&self.book)
            .rules
            .iter()
            .filter_map(|r| r.remaining)
            .fold(0, usize::saturating_add)
    }

    /// Disarms every rule.
    pub fn clear(&self) {
        lock(&self.book).rules.clear();
    }

    /// Queues `fault` for the next `times` requests, whatever they are (after those already
    /// queued).
    #[deprecated(
        since = "0.1.0",
        note = "aim the fault instead: `faults().on(method, path).times(n).respond(fault)`, or `faults().on_any().times(n).respond(fault)`"
    )]
    pub fn push(&self, fault: Fault, times: usize) {
        if times > 0 {
            self.on_any().times(times).respond(fault);
        }
    }

    /// Takes the fault the next request would get from the rules that hit every request
    /// (those armed with [`on_any`](Self::on_any)), for a wiremock server of your own.
    #[deprecated(
        since = "0.1.0",
        note = "the mock servers apply faults themselves; for a wiremock server of your own, use `Fault::response`"
    )]
    pub fn take(&self) -> Option<Fault> {
        self.take_unaimed(|_| true)
    }

    /// Mounts on a wiremock server of your own a mock that drops the connection when the
    /// next unaimed fault is [`Fault::DropConnection`].
    #[deprecated(
        since = "0.1.0",
        note = "the mock servers apply faults themselves; aimed faults need no mounting"
    )]
    pub async fn mount_drop_connection(&self, server: &MockServer) {
        Mock::given(DropNext(self.clone()))
            .respond_with_err(|_: &WiremockRequest| DroppedConnection)
            .with_priority(1)
            .named("scimkit fault: drop connection")
            .mount(server)
            .await;
    }

    fn take_unaimed(&self, wanted: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let mut book = lock(&self.book);
        let index = book.rules.iter().position(Rule::unaimed)?;
        if !wanted(&book.rules[index].fault) {
            return None;
        }
        Some(book.hit(index))
    }

    /// The fault for this request, if a rule hits it (counting the hit).
    pub(crate) fn decide(&self, request: &RecordedRequest) -> Option<Fault> {
        let under_base = request
            .path
            .strip_prefix(&*self.base_path)
            .filter(|_| !self.base_path.is_empty());
        let mut book = lock(&self.book);
        let index = book.rules.iter().position(|rule| {
            rule.method.as_ref().is_none_or(|m| *m == request.method)
                && rule.pattern.as_ref().is_none_or(|p| {
                    p.matches(&request.path) || under_base.is_some_and(|path| p.matches(path))
                })
                && rule.predicate.as_ref().is_none_or(|p| p(request))
        })?;
        Some(book.hit(index))
    }

    fn arm(&self, rule: FaultRule, fault: Fault) -> ArmedFault {
        let hits = Arc::new(AtomicUsize::new(0));
        let mut book = lock(&self.book);
        book.next_id += 1;
        let id = book.next_id;
        if rule.times != Some(0) {
            book.rules.push(Rule {
                id,
                method: rule.method,
                pattern: rule.pattern,
                predicate: rule.predicate,
                remaining: rule.times,
                fault,
                hits: hits.clone(),
            });
        }
        ArmedFault {
            faults: self.clone(),
            id,
            hits,
        }
    }
}

impl Book {
    /// Counts a hit on rule `index`, dropping it when spent; returns its fault.
    fn hit(&mut self, index: usize) -> Fault {
        let rule = &mut self.rules[index];
        rule.hits.fetch_add(1, Ordering::Relaxed);
        let fault = rule.fault.clone();
        if let Some(remaining) = &mut rule.remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.rules.remove(index);
            }
        }
        fault
    }
}

/// A fault rule being built: narrow it down, then [`respond`](Self::respond) arms it.
#[must_use = "a rule does nothing until `respond` arms it"]
pub struct FaultRule {
    faults: Faults,
    method: Option<Method>,
    pattern: Option<PathPattern>,
    predicate: Option<Predicate>,
    times: Option<usize>,
}

impl fmt::Debug for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultRule")
            .field("method", &self.method)
            .field("pattern", &self.pattern)
            .field("predicate", &self.predicate.is_some())
            .field("times", &self.times)
            .finish()
    }
}

impl FaultRule {
    /// Hits only requests for which `predicate` holds (it sees the request as it will be
    /// recorded). The predicate runs while the rules are locked: it must not use the same
    /// [`Faults`].
    ///
    /// ```
    /// use http::Method;
    /// use scimkit::mock::{Fault, Faults};
    ///
    /// let faults = Faults::default();
    /// faults
    ///     .on(Method::GET, "/api/v1/users")
    ///     .matching(|r| r.query_param("after").is_some()) // only the second page on
    ///     .respond(Fault::Status(500));
    /// ```
    pub fn matching(
        mut self,
        predicate: impl Fn(&RecordedRequest) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// Hits at most `n` requests, then the rule is dropped (default: every matching request
    /// until disarmed).
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Arms the rule: matching requests get `fault`.
    pub fn respond(self, fault: Fault) -> ArmedFault {
        let faults = self.faults.clone();
        faults.arm(self, fault)
    }
}

/// An armed rule: how often it hit, and a way to disarm it early.
#[derive(Clone)]
pub struct ArmedFault {
    faults: Faults,
    id: u64,
    hits: Arc<AtomicUsize>,
}

impl fmt::Debug for ArmedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmedFault")
            .field("hits", &self.hits())
            .field("armed", &self.is_armed())
            .finish()
    }
}

impl ArmedFault {
    /// How many requests the rule has hit.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Whether the rule still hits requests (not spent, not disarmed, not cleared).
    pub fn is_armed(&self) -> bool {
        lock(&self.faults.book)
            .rules
            .iter()
            .any(|r| r.id == self.id)
    }

    /// Disarms the rule.
    pub fn disarm(&self) {
        lock(&self.faults.book).rules.retain(|r| r.id != self.id);
    }
}

struct DropNext(Faults);

impl Match for DropNext {
    fn matches(&self, _request: &WiremockRequest) -> bool {
        self.0
            .take_unaimed(|f| *f == Fault::DropConnection)
            .is_some()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("scimkit mock: connection dropped on purpose")]
struct DroppedConnection;

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn request(method: Method, path: &str) -> RecordedRequest {
        RecordedRequest {
            seq: 1,
            method,
            path: path.to_owned(),
            query: None,
            headers: Vec::new(),
            body: Bytes::new(),
            status: None,
            fault: None,
        }
    }

    #[test]
    fn rules_hit_in_arming_order_and_are_spent() {
        let faults = Faults::with_base_path("/scim/v2");
        let first = faults
            .on(Method::POST, "/Users")
            .times(1)
            .respond(Fault::Status(503));
        faults
            .on(Method::POST, "/Users")
            .times(1)
            .respond(Fault::Status(429));
        let post = request(Method::POST, "/scim/v2/Users");
        let get = request(Method::GET, "/scim/v2/Users");
        assert_eq!(faults.decide(&get), None);
        assert_eq!(faults.decide(&post), Some(Fault::Status(503)));
        assert_eq!(faults.decide(&post), Some(Fault::Status(429)));
        assert_eq!(faults.decide(&post), None);
        assert_eq!(first.hits(), 1);
        assert!(!first.is_armed());
    }

    #[test]
    fn unlimited_rules_hit_until_disarmed() {
        let faults = Faults::default();
        let rule = faults.on_path("/x/*").respond(Fault::Html);
        for _ in 0..3 {
            assert_eq!(
                faults.decide(&request(Method::GET, "/x/1")),
                Some(Fault::Html)
            );
        }
        assert_eq!(faults.pending(), 0);
        rule.disarm();
        assert_eq!(faults.decide(&request(Method::GET, "/x/1")), None);
        assert_eq!(rule.hits(), 3);
    }

    #[test]
    fn predicates_narrow_a_rule() {
        let faults = Faults::default();
        faults
            .on_any()
            .matching(|r| r.path.ends_with("/2"))
            .respond(Fault::Status(500));
        assert_eq!(faults.decide(&request(Method::GET, "/a/1")), None);
        assert_eq!(
            faults.decide(&request(Method::GET, "/a/2")),
            Some(Fault::Status(500))
        );
    }

    #[test]
    #[allow(deprecated)]
    fn the_old_queue_still_works() {
        let faults = Faults::default();
        faults.push(Fault::Status(503), 2);
        faults.push(Fault::Html, 1);
        assert_eq!(faults.pending(), 3);
        assert_eq!(faults.take(), Some(Fault::Status(503)));
        assert_eq!(
            faults.decide(&request(Method::GET, "/")),
            Some(Fault::Status(503))
        );
        assert_eq!(faults.take(), Some(Fault::Html));
        assert_eq!(faults.take(), None);
        faults.push(Fault::Html, 0);
        assert_eq!(faults.pending(), 0);
    }
}
