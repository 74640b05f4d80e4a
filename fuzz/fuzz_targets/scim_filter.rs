//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths: any text parses or is refused without a
//! panic, and whatever parses renders to text that parses back to the same filter (and
//! renders the same again). Evaluating a parsed filter never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimkit::scim::{AttrPath, Filter, PatchPath};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = Filter::parse(text) {
        let rendered = filter.to_string();
        let again = Filter::parse(&rendered)
            .unwrap_or_else(|e| panic!("{text:?} rendered as {rendered:?}, which fails: {e}"));
        assert_eq!(again, filter, "{text:?} -> {rendered:?}");
        assert_eq!(again.to_string(), rendered);
        let resource = json!({
            "id": "2819c223", "userName": "Bjensen", "active": true, "age": 42.5,
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, "odd", 7],
            "meta": {"lastModified": "2011-05-13T04:42:34Z"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "26118915"}}
        });
        let _ = filter.matches_json(&resource);
        let _ = filter.matches_json(&json!(null));
    }
    if let Ok(path) = PatchPath::parse(text) {
        let rendered = path.to_string();
        let again = PatchPath::parse(&rendered)
            .unwrap_or_else(|e| panic!("{text:?} rendered as {rendered:?}, which fails: {e}"));
        assert_eq!(again, path, "{text:?} -> {rendered:?}");
    }
    if let Ok(path) = AttrPath::parse(text) {
        assert_eq!(AttrPath::parse(&path.to_string()).ok(), Some(path));
    }
    let _ = AttrPath::new(text);
});
