//! The redactor's table: for each body, the secrets the request carried, what must not
//! appear in the snippet and what must still appear. Then messages, harvesting from
//! requests, `Debug` helpers, and two property tests.

use base64::Engine as _;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// One row of the table.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    redactor: Redactor,
    hidden: Vec<String>,
    shown: Vec<String>,
}

fn case(name: &'static str, body: impl Into<Vec<u8>>) -> Case {
    Case {
        name,
        body: body.into(),
        redactor: Redactor::none(),
        hidden: Vec::new(),
        shown: Vec::new(),
    }
}

impl Case {
    fn secrets(mut self, secrets: &[&str]) -> Self {
        self.redactor = Redactor::new(secrets.iter().copied());
        self
    }
    fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }
    fn hides(mut self, hidden: &[&str]) -> Self {
        self.hidden.extend(hidden.iter().map(|s| s.to_string()));
        self
    }
    fn shows(mut self, shown: &[&str]) -> Self {
        self.shown.extend(shown.iter().map(|s| s.to_string()));
        self
    }
}

const RESERVED: &str = "p@ss:w0rd/&=+ %~";

fn nested(depth: usize, inner: &str) -> String {
    let mut s = inner.to_owned();
    for i in 0..depth {
        s = if i % 2 == 0 {
            format!(r#"{{"level{i}":{s},"n":{i}}}"#)
        } else {
            format!("[1,{s}]")
        };
    }
    s
}

/// `{"access_token":"<filler>",<tail>` with the tail starting `at` bytes into the body.
fn after_hidden_filler(at: usize, tail: &str) -> Vec<u8> {
    let head = r#"{"access_token":""#;
    let filler = "x".repeat(at - head.len() - 2);
    let mut body = format!(r#"{head}{filler}","#).into_bytes();
    body.extend_from_slice(tail.as_bytes());
    body.extend(std::iter::repeat_n(b'y', 4096));
    body
}

fn basic(id: &str, secret: &str) -> HeaderValue {
    let engine = &base64::engine::general_purpose::STANDARD;
    let value = format!("Basic {}", engine.encode(format!("{id}:{secret}")));
    HeaderValue::from_str(&value).unwrap()
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn table() -> Vec<Case> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        basic(&form_encode("scim:client"), &form_encode(RESERVED)),
    );
    let basic_redactor = Redactor::none().with_headers(&headers);
    let basic_blob = headers[http::header::AUTHORIZATION].to_str().unwrap()[6..].to_owned();

    let mut bearer = HeaderMap::new();
    bearer.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer Zq7-bearer-abc"),
    );
    let mut sensitive = HeaderValue::from_static("Zq7-api-key-1");
    sensitive.set_sensitive(true);
    bearer.insert("x-custom-key", sensitive);
    bearer.insert("dpop", HeaderValue::from_static("eyJhZq7.dpop.proof"));

    vec![
        // ---- key forms ----
        case("snake_case key", r#"{"access_token":"Zq7-at-1","token_type":"Bearer"}"#)
            .hides(&["Zq7"])
            .shows(&["token_type", "Bearer"]),
        case("camelCase key", r#"{"accessToken":"Zq7-at-2","expiresIn":3600}"#)
            .hides(&["Zq7"])
            .shows(&["3600"]),
        case("Header-Case key", r#"{"Access-Token":"Zq7-at-3"}"#).hides(&["Zq7"]),
        case("SHOUTING key", r#"{"ACCESS_TOKEN":"Zq7-at-4","SCOPE":"scim"}"#)
            .hides(&["Zq7"])
            .shows(&["scim"]),
        case("token outside credentials", r#"{"token":"Zq7-tok","expires":3600}"#)
            .hides(&["Zq7"])
            .shows(&["expires"]),
        case(
            "Okta activation token and URL",
            r#"{"activationUrl":"https://org.okta.com/welcome/Zq7-act","activationToken":"Zq7-act"}"#,
        )
        .hides(&["Zq7"])
        .shows(&["activationUrl"]),
        case(
            "Okta reset password URL",
            r#"{"resetPasswordUrl":"https://org.okta.com/reset_password/Zq7-rp"}"#,
        )
        .hides(&["Zq7"]),
        case(
            "Okta credentials: password value and recovery answer",
            r#"{"profile":{"login":"ada"},"credentials":{"password":{"value":"Zq7-pw"},"recovery_question":{"question":"colour?","answer":"Zq7-ans"},"provider":{"type":"OKTA"}}}"#,
        )
        .hides(&["Zq7"])
        .shows(&["ada", "colour?", "OKTA"]),
        case(
            "Okta change password",
            r#"{"oldPassword":{"value":"Zq7-old"},"newPassword":{"value":"Zq7-new"},"revokeSessions":true}"#,
        )
        .hides(&["Zq7"])
        .shows(&["revokeSessions", "true"]),
        case(
            "Okta sessionToken, apiToken, clientSecret, sharedSecret, secretKey",
            r#"{"sessionToken":"Zq7-1","apiToken":"Zq7-2","clientSecret":"Zq7-3","sharedSecret":"Zq7-4","secretKey":"Zq7-5","siteKey":"public-site"}"#,
        )
        .hides(&["Zq7"])
        .shows(&["public-site"]),
        case(
            "SCIM password and its URN",
            r#"{"userName":"alice","password":"Zq7-s1","urn:ietf:params:scim:schemas:core:2.0:User:password":"Zq7-s2"}"#,
        )
        .hides(&["Zq7"])
        .shows(&["alice"]),
        case(
            "SCIM PATCH value under a password path",
            r#"{"Operations":[{"op":"replace","path":"password","value":"Zq7-patch"},{"op":"replace","path":"active","value":false}]}"#,
        )
        .hides(&["Zq7"])
        .shows(&["active", "false"]),
        case(
            "SCIM PATCH value before its path (scanner, invalid JSON tail)",
            r#"{"Operations":[{"value":"Zq7-vbp","op":"replace","path":"password"}]} trailing"#,
        )
        .hides(&["Zq7"])
        .shows(&["replace", "trailing"]),
        case(
            "SCIM PATCH without path, password inside the value",
            r#"{"Operations":[{"op":"replace","value":{"password":"Zq7-nopath","active":true}}]}"#,
        )
        .hides(&["Zq7"])
        .shows(&["active"]),
        case(
            "Okta hook headers and authScheme",
            r#"{"channel":{"config":{"uri":"https://hook.example","headers":[{"key":"X-Other","value":"Zq7-hdr"}],"authScheme":{"type":"HEADER","key":"Authorization","value":"Zq7-auth"}}}}"#,
        )
        .hides(&["Zq7"])
        .shows(&["X-Other", "HEADER", "hook.example"]),
        case(
            "private JWK members",
            r#"{"keys":[{"kty":"RSA","n":"pub-modulus","e":"AQAB","d":"Zq7-d","p":"Zq7-p","q":"Zq7-q","dp":"Zq7-dp","dq":"Zq7-dq","qi":"Zq7-qi"}]}"#,
        )
        .hides(&["Zq7"])
        .shows(&["pub-modulus", "AQAB"]),
        case(
            "private JWK member before kty (scanner)",
            r#"{"d":"Zq7-d2","kty":"EC","x":"pub-x"} <- a JWK"#,
        )
        .hides(&["Zq7"])
        .shows(&["pub-x", "a JWK"]),
        case("d and p without kty are data", r#"{"d":"visible-d","p":"visible-p"}"#)
            .shows(&["visible-d", "visible-p"]),
        case("code as a string is an authorization code", r#"{"code":"Zq7-code","state":"s1"}"#)
            .hides(&["Zq7"])
            .shows(&["s1"]),
        case("code as a number is a status", r#"{"error":{"code":400,"message":"bad"}}"#)
            .shows(&["400", "bad"]),
        case("secret number", r#"{"client_secret":12345678,"client_id":"c1"}"#)
            .hides(&["12345678"])
            .shows(&["c1"]),
        case("secret object and array hide every leaf", r#"{"password":{"hash":{"salt":"Zq7-salt","value":"Zq7-hash"}},"refresh_token":["Zq7-a","Zq7-b"],"ok":true}"#)
            .hides(&["Zq7"])
            .shows(&["ok"]),
        // ---- depth ----
        case("40 levels deep (tree)", nested(40, r#"{"client_secret":"Zq7-deep"}"#))
            .hides(&["Zq7"])
            .shows(&["level38"]),
        case(
            "200 levels deep (past serde's limit: scanner)",
            nested(200, r#"{"client_secret":"Zq7-vdeep"}"#),
        )
        .hides(&["Zq7"])
        .shows(&["level198"]),
        // ---- escaped keys ----
        case("escaped key", r#"{"p\u0061ssword":"Zq7-esc","user":"bob"}"#)
            .hides(&["Zq7"])
            .shows(&["bob"]),
        case("escaped separator in key", r#"{"client\u005Fsecret":"Zq7-esc2"}"#).hides(&["Zq7"]),
        case("escaped key, truncated body", r#"{"user":"bob","p\u0061ssword":"Zq7-esc-trunc"#)
            .hides(&["Zq7"])
            .shows(&["bob"]),
        // ---- truncated and invalid JSON ----
        case("secret cut by the server", r#"{"token_type":"Bearer","access_token":"Zq7-cut"#)
            .hides(&["Zq7"])
            .shows(&["Bearer"]),
        case("secret with escaped quotes, cut", r#"{"access_token": "Zq7\"still\"secret"#)
            .hides(&["Zq7", "still", "secret"]),
        case(
            "truncated nested credentials",
            r#"{"credentials":{"password":{"value":"Zq7-tr2"},"provider":{"type":"OKTA""#,
        )
        .hides(&["Zq7"])
        .shows(&["OKTA"]),
        case("invalid JSON around a secret", r#"{"password": "Zq7-inv", }}} garbage"#)
            .hides(&["Zq7"])
            .shows(&["garbage"]),
        case("unquoted value after a secret key", r#"{"password": Zq7-bare, "n": 1}"#)
            .hides(&["Zq7"])
            .shows(&["\"n\""]),
        case("JSON inside HTML", r#"<html><pre>{"id_token":"Zq7-html-json"}</pre></html>"#)
            .hides(&["Zq7"])
            .shows(&["<pre>"]),
        // ---- forms and query strings ----
        case("form body", "a=1&password=Zq7-f1&b=2")
            .hides(&["Zq7"])
            .shows(&["a=1", "b=2"]),
        case(
            "password past the fifth key of a form",
            "grant_type=password&scope=a&audience=x&resource=y&client_id=c&username=u&password=Zq7-f2&foo=bar",
        )
        .hides(&["Zq7"])
        .shows(&["client_id=c", "username=u", "foo=bar"]),
        case("percent-encoded key", "pass%77ord=Zq7-f3&x=1")
            .hides(&["Zq7"])
            .shows(&["x=1"]),
        case("plus-encoded key", "client+secret=Zq7-f4").hides(&["Zq7"]),
        case("form client assertion", "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=Zq7.assertion.sig")
            .hides(&["Zq7"])
            .shows(&["client_assertion_type"]),
        case("code numeric in a form is kept", "error=x&code=400").shows(&["code=400"]),
        case(
            "token in a query string inside HTML",
            r#"<a href="https://org.okta.com/activate?token=Zq7-q1&amp;next=/home">go</a>"#,
        )
        .hides(&["Zq7"])
        .shows(&["next=/home", "go"]),
        case(
            "query behind a JSON-escaped ampersand",
            r#"{"next":"https://x.example/cb?state=1\u0026code=Zq7-q2"} (not JSON)"#,
        )
        .hides(&["Zq7"])
        .shows(&["state=1"]),
        // ---- text shapes ----
        case("header dump", "GET / HTTP/1.1\r\nAuthorization: Bearer Zq7-hdr1\r\nHost: api.example\r\n")
            .hides(&["Zq7"])
            .shows(&["Host: api.example"]),
        case("cookie dump", "Cookie: sid=Zq7-sid; theme=dark\nX-Trace: 1")
            .hides(&["Zq7"])
            .shows(&["X-Trace"]),
        case("bearer credential in prose", "invalid credential: Bearer Zq7abc123 was rejected")
            .hides(&["Zq7"])
            .shows(&["was rejected"]),
        case("SSWS credential in prose", "header was SSWS 00Zq7abcdefgh now")
            .hides(&["Zq7"])
            .shows(&["now"]),
        case(
            "WWW-Authenticate parameters are kept",
            r#"WWW-Authenticate: Bearer realm="api", error="invalid_token""#,
        )
        .shows(&["realm=\"api\"", "invalid_token"]),
        case(
            "JWT in prose",
            "id: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl end",
        )
        .hides(&["eyJhbGciOiJSUzI1NiJ9", "c2lnbmF0dXJl"])
        .shows(&["end"]),
        // ---- the 256-byte cut ----
        case(
            "key-hidden secret straddling the snippet cut",
            format!(r#"{{"a_note":"{}","access_token":"Zq7-straddle-key-0123456789"}}"#, "n".repeat(230)),
        )
        .hides(&["Zq7", "Zq"]),
        case(
            "exact secret straddling the snippet cut",
            format!("{} Zq7-straddle-exact-0123456789 tail", "n".repeat(245)),
        )
        .secrets(&["Zq7-straddle-exact-0123456789"])
        .hides(&["Zq"]),
        // ---- the 8 KiB window ----
        case(
            "exact secret straddling the window",
            after_hidden_filler(WINDOW - 10, r#""note":"Zq7-window-straddle-0123456789""#),
        )
        .secrets(&["Zq7-window-straddle-0123456789"])
        .hides(&["Zq"])
        .shows(&["note"]),
        case(
            "percent-encoded exact secret cut inside an escape by the window",
            after_hidden_filler(WINDOW - 8, "msg=Zq%37-%77indow-%65scape"),
        )
        .secrets(&["Zq7-window-escape"])
        .hides(&["Zq", "Zq%3"]),
        case(
            "secret-key value straddling the window",
            after_hidden_filler(WINDOW - 20, r#""password":"Zq7-window-key-0123456789""#),
        )
        .hides(&["Zq"])
        .shows(&["password"]),
        case(
            "PATCH value whose path lies past the window",
            after_hidden_filler(WINDOW - 50, r#""Operations":[{"value":"Zq7-past-window","path":"password"}]}"#),
        )
        .hides(&["Zq"])
        .shows(&["Operations"]),
        // ---- multi-byte text ----
        case(
            "multi-byte text",
            r#"{"detail":"Пароль неверный","password":"Zq7-пароль"}"#,
        )
        .hides(&["Zq7", "Zq7-пароль"])
        .shows(&["Пароль неверный"]),
        case("multi-byte cut", "é".repeat(400)).shows(&["é"]),
        case(
            "multi-byte at the window cut",
            format!("{}Zq7-é-secret", "é".repeat(WINDOW / 2 - 1)).repeat(3),
        )
        .secrets(&["Zq7-é-secret"])
        .hides(&["Zq7"])
        .shows(&["é"]),
        case("invalid UTF-8", b"\xff\xfe{\"password\":\"Zq7-bin\"}\xc3".to_vec()).hides(&["Zq7"]),
        // ---- huge bodies ----
        case("16 MiB JSON", {
            let mut body = br#"{"access_token":"Zq7-huge","data":""#.to_vec();
            body.resize(16 * 1024 * 1024 - 2, b'a');
            body.extend_from_slice(br#""}"#);
            body
        })
        .hides(&["Zq7"])
        .shows(&["data"]),
        case("16 MiB of text", {
            let mut body = b"<html>Bad Gateway Bearer Zq7-big-1234 ".to_vec();
            body.resize(16 * 1024 * 1024, b'z');
            body
        })
        .hides(&["Zq7"])
        .shows(&["Bad Gateway"]),
        case("16 MiB of one JSON string under a secret key", {
            let mut body = br#"{"refresh_token":""#.to_vec();
            body.resize(16 * 1024 * 1024, b'Q');
            body
        })
        .hides(&["QQQQ"])
        .shows(&["refresh_token"]),
        // ---- echoed exact secrets ----
        case(
            "echoed secret in HTML",
            "<p>client secret p@ss:w0rd/&amp;=+ %~ is wrong</p>",
        )
        .secrets(&[RESERVED])
        .hides(&["w0rd"])
        .shows(&["is wrong"]),
        case("echoed secret with numeric entities", "<p>p&#64;ss&#x3A;w0rd/&#38;=+ %~</p>")
            .secrets(&[RESERVED])
            .hides(&["w0rd"])
            .shows(&["<p>"]),
        case("echoed secret in text", "your secret Zq7raw!x is invalid")
            .secrets(&["Zq7raw!x"])
            .hides(&["Zq7"])
            .shows(&["is invalid"]),
        case(
            "echoed secret JSON-escaped under a plain key",
            r#"{"error":"invalid_client","error_description":"secret \"p@ss:w0rd\/&=+ %~\" rejected"}"#,
        )
        .secrets(&[RESERVED])
        .hides(&["w0rd"])
        .shows(&["invalid_client", "rejected"]),
        case(
            "echoed secret with \\u escapes",
            r#"{"error_description":"got p\u0040ss\u003aw0rd\u002F\u0026=+ %~"}"#,
        )
        .secrets(&[RESERVED])
        .hides(&["w0rd"])
        .shows(&["got"]),
        case("echoed secret percent-encoded", "error: p%40ss%3Aw0rd%2F%26%3D%2B%20%25%7E rejected")
            .secrets(&[RESERVED])
            .hides(&["w0rd"])
            .shows(&["rejected"]),
        case("echoed secret form-encoded (+ for space)", format!("echo={} ok", form_encode(RESERVED)))
            .secrets(&[RESERVED])
            .hides(&["w0rd"])
            .shows(&["ok"]),
        case(
            "echoed bearer token in a description",
            r#"{"error":"invalid_token","error_description":"the credential Zq7-bearer-echo expired"}"#,
        )
        .secrets(&["Zq7-bearer-echo"])
        .hides(&["Zq7"])
        .shows(&["invalid_token", "expired"]),
        case("secrets shorter than 4 bytes are left to keys", "abc def")
            .secrets(&["abc"])
            .shows(&["abc def"]),
        // ---- secrets harvested from the request ----
        case(
            "Basic header: reserved characters, secret half only",
            format!(
                "bad credentials for scim:client (secret {RESERVED}); raw {}; header {basic_blob}",
                form_encode(RESERVED)
            ),
        )
        .redactor(basic_redactor)
        .hides(&["w0rd", &basic_blob])
        .shows(&["scim:client"]),
        case(
            "Bearer, sensitive and DPoP headers echoed",
            "seen Zq7-bearer-abc, Zq7-api-key-1 and eyJhZq7.dpop.proof",
        )
        .redactor(Redactor::none().with_headers(&bearer))
        .hides(&["Zq7"])
        .shows(&["seen"]),
        case("form body harvest", "user alice, password Zq7-fb!x refused")
            .redactor(Redactor::none().with_form_body(
                b"grant_type=password&username=alice&password=Zq7-fb%21x",
            ))
            .hides(&["Zq7"])
            .shows(&["alice", "refused"]),
        case(
            "JSON body harvest (Okta create user)",
            r#"{"errorCode":"E0000001","errorSummary":"Api validation failed: password","errorCauses":[{"errorSummary":"password: Zq7-created-pw is too weak"}]}"#,
        )
        .redactor(Redactor::none().with_json_body(
            br#"{"profile":{"login":"ada"},"credentials":{"password":{"value":"Zq7-created-pw"}}}"#,
        ))
        .hides(&["Zq7"])
        .shows(&["E0000001", "too weak"]),
        case(
            "JSON body harvest (SCIM PATCH)",
            "detail: Zq7-patched-pw violates policy",
        )
        .redactor(Redactor::none().with_json_body(
            br#"{"Operations":[{"op":"replace","path":"password","value":"Zq7-patched-pw"}]}"#,
        ))
        .hides(&["Zq7"])
        .shows(&["violates policy"]),
    ]
}

#[test]
fn redaction_table() {
    let cases = table();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let shown = c.redactor.snippet(&c.body);
        let max = SNIPPET_LIMIT + '…'.len_utf8();
        if shown.len() > max {
            failures.push(format!("{}: {} bytes", c.name, shown.len()));
        }
        for h in &c.hidden {
            if shown.contains(h.as_str()) {
                failures.push(format!("{}: shows {h:?} in {shown:?}", c.name));
            }
        }
        for s in &c.shown {
            if !shown.contains(s.as_str()) {
                failures.push(format!("{}: lost {s:?} in {shown:?}", c.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn snippet_marks_cut_bodies_and_keeps_short_ones_whole() {
    let r = Redactor::none();
    assert_eq!(r.snippet(b""), "");
    assert_eq!(r.snippet(b"plain"), "plain");
    assert_eq!(
        r.snippet(b"a=1&access_token=xyz"),
        "a=1&access_token=[redacted]"
    );
    // Pretty JSON that fits is shown compact, escaped keys decoded.
    assert_eq!(
        r.snippet(b"{\n  \"p\\u0061ssword\": \"x\",\n  \"n\": 1\n}"),
        r#"{"n":1,"password":"[redacted]"}"#
    );
    let long = "é".repeat(400);
    let s = r.snippet(long.as_bytes());
    assert!(s.ends_with('…') && s.len() <= SNIPPET_LIMIT + 3, "{s}");
    // A window-sized body whose hidden value leaves little: marked as cut.
    let mut body = br#"{"access_token":""#.to_vec();
    body.resize(WINDOW * 2, b'x');
    assert_eq!(r.snippet(&body), r#"{"access_token":"[redacted]…"#);
}

#[test]
fn scrub_messages() {
    let r = Redactor::new(["Zq7-sent-secret"]);
    let cases = [
        (
            "error sending request for url (https://h/x?access_token=abc123): Zq7-sent-secret",
            "https://h/x?access_token=[redacted] [redacted]",
        ),
        (
            r#"Password "Zq7-sent-secret" does not meet policy"#,
            r#"Password "[redacted]" does not meet policy"#,
        ),
        (
            "Authorization: Basic dXNlcjpwYXNz",
            "Authorization: [redacted]",
        ),
        ("nothing to hide here", "nothing to hide here"),
    ];
    for (input, expected) in cases {
        let out = r.scrub(input);
        assert!(out.ends_with(expected), "{input:?} -> {out:?}");
    }
}

#[test]
fn decode_messages_hide_values_at_secret_paths() {
    let r = Redactor::none();
    assert_eq!(
        r.decode_message(
            "access_token",
            r#"invalid type: string "Zq7\"x", expected u64 at line 1 column 20"#
        ),
        r#"invalid type: string "[redacted]", expected u64 at line 1 column 20"#
    );
    assert_eq!(
        r.decode_message("credentials.password.value", "unknown variant `Zq7`"),
        "unknown variant `[redacted]`"
    );
    assert_eq!(
        r.decode_message(
            "active",
            r#"invalid type: string "yes", expected a boolean"#
        ),
        r#"invalid type: string "yes", expected a boolean"#
    );
    assert_eq!(
        r.decode_message("Resources[0].password", r#"string "open"#),
        r#"string "[redacted]"#
    );
}

#[test]
fn harvest_from_headers_and_bodies() {
    // Basic with reserved characters, form-urlencoded as RFC 6749 §2.3.1 asks, and raw.
    for (id, secret) in [
        (form_encode("scim:client"), form_encode(RESERVED)),
        ("scim".to_owned(), RESERVED.to_owned()),
    ] {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, basic(&id, &secret));
        let r = Redactor::none().with_headers(&headers);
        let shown = r.scrub(&format!("id scim:client secret {RESERVED} end"));
        assert_eq!(shown, "id scim:client secret [redacted] end", "{id}");
    }
    // A scheme with nothing after it is not a secret; a short secret is not matched.
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer"),
    );
    headers.insert(
        http::header::COOKIE,
        HeaderValue::from_static("a=xyz; sid=Zq7-cookie"),
    );
    let r = Redactor::none().with_headers(&headers);
    assert_eq!(r.scrub("Bearer sid Zq7-cookie"), "Bearer sid [redacted]");
    // Headers that are neither credentials nor sensitive are ignored.
    let mut headers = HeaderMap::new();
    headers.insert("x-request-id", HeaderValue::from_static("req-123456"));
    assert_eq!(Redactor::none().with_headers(&headers).secret_count(), 0);
    // One request: headers plus a body read by its content type.
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/scim+json"),
    );
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer Zq7-req-bearer"),
    );
    let r = Redactor::for_request(
        &headers,
        Some(br#"{"userName":"alice","password":"Zq7-req-pw"}"#),
    );
    assert_eq!(r.secret_count(), 2);
    assert_eq!(
        r.scrub("alice Zq7-req-pw Zq7-req-bearer"),
        "alice [redacted] [redacted]"
    );
    let form = Redactor::none().with_body(
        Some("application/x-www-form-urlencoded"),
        b"grant_type=client_credentials&client_secret=Zq7%2Bform&scope=a",
    );
    assert_eq!(form.scrub("Zq7+form"), "[redacted]");
    // Redactor's Debug shows how many secrets it knows, never one.
    assert_eq!(format!("{form:?}"), "Redactor { secrets: 1 }");
}

#[test]
fn exact_matching_mixes_encodings_and_resists_branching() {
    let r = Redactor::new(["%41%41%41%41%41", "a+b c"]);
    // The raw text of a secret that looks like escapes is found as written.
    assert_eq!(r.scrub("x %41%41%41%41%41 y"), "x [redacted] y");
    assert_eq!(r.scrub("x %2541%2541%2541%2541%2541 y"), "x [redacted] y");
    assert_eq!(r.scrub("a+b+c a%2Bb%20c"), "[redacted] [redacted]");
    // `%25` reads as `%` and as itself: both readings are walked.
    let r = Redactor::new(["%25%25%25"]);
    assert_eq!(r.scrub("<%2525%2525%2525>"), "<[redacted]>");
    // A walk that runs out of budget hides as far as the secret could reach.
    let mut stack = Vec::new();
    let text = b"%25%25%25%25 tail that is long enough to stay out of reach...";
    assert_eq!(
        exact::match_at(text, 0, b"%%%%", false, &mut stack, 2),
        Some(48)
    );
    assert_eq!(
        exact::match_at(text, 0, b"%%%%", false, &mut stack, 100),
        Some(12)
    );
}

#[test]
fn json_values_for_debug() {
    let v = json!({
        "userName": "alice",
        "Password": "s3cret-1",
        "Operations": [{"op": "replace", "value": {"password": "s3cret-2", "active": true}}],
        "urn:example:ext:password": "s3cret-3",
        "note": "call back with token=s3cret-4",
    });
    let shown = redacted_json(&v).to_string();
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(
        shown.contains("alice") && shown.contains("active"),
        "{shown}"
    );
    let map = v.as_object().unwrap().clone();
    let shown = format!("{:?}", Redacted(&map));
    assert!(
        !shown.contains("s3cret") && shown.contains("alice"),
        "{shown}"
    );
    assert!(is_secret_path(
        "urn:ietf:params:scim:schemas:core:2.0:User:password"
    ));
    assert!(!is_secret_path("passwordChanged"));
}

#[test]
fn urls_for_messages() {
    let url = url::Url::parse("https://u:p@h.example/x?token=abc#f").unwrap();
    assert_eq!(display_url(&url), "https://h.example/x");
    for (raw, shown) in [
        ("https://u:p@h.example/x?token=abc#f", "https://h.example/x"),
        ("/callback?code=abc&state=1", "/callback"),
        ("user:pass@my-org.okta.com/api", "my-org.okta.com/api"),
        ("tok3n@my org?x=1", "my org"),
        ("ht!tp://u:p@bad host/p?q", "ht!tp://bad host/p"),
    ] {
        assert_eq!(display_raw_url(raw), shown, "{raw}");
    }
}

// ---- property tests ----

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0u8..100).prop_map(|n| json!(n)),
        "[a-p ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-p]{1,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A secret placed under a secret key, in one of the shapes the rules know.
fn arb_placement() -> impl Strategy<Value = (usize, String)> {
    let always = prop::sample::select(vec![
        "access_token",
        "accessToken",
        "Access-Token",
        "REFRESH_TOKEN",
        "id_token",
        "client_secret",
        "clientSecret",
        "client_assertion",
        "assertion",
        "password",
        "Password",
        "urn:ietf:params:scim:schemas:core:2.0:User:password",
        "token",
        "apiToken",
        "sessionToken",
        "activationToken",
        "activationUrl",
        "resetPasswordUrl",
        "tempPassword",
        "device_code",
        "code",
        "sharedSecret",
        "secretKey",
        "passCode",
        "answer",
        "authorization",
        "p\\u0061ssword",
        "client\\u005fsecret",
    ]);
    (0usize..7, always)
        // `code` is a secret as a string only (an authorization code): no object shape.
        .prop_map(|(shape, key)| (if key == "code" { 0 } else { shape }, key.to_owned()))
        .boxed()
}

fn place(shape: usize, key: &str, secret: &str) -> String {
    let s = json!(secret).to_string();
    match shape {
        0 => format!(r#"{{"{key}":{s}}}"#),
        1 => format!(r#"{{"credentials":{{"password":{{"value":{s}}}}}}}"#),
        2 => format!(r#"{{"recovery_question":{{"question":"q","answer":{s}}}}}"#),
        3 => format!(r#"{{"value":{s},"op":"replace","path":"password"}}"#),
        4 => format!(r#"{{"d":{s},"kty":"RSA","n":"abc"}}"#),
        5 => format!(r#"{{"authScheme":{{"key":"x","value":{s}}}}}"#),
        _ => format!(r#"{{"{key}":{{"value":{s},"list":[{s}]}}}}"#),
    }
}

/// `doc` with `inner` (JSON text) put at `depth` inside it.
fn embed(doc: &Value, inner: &str, depth: usize, before: bool) -> String {
    let mut s = inner.to_owned();
    for level in 0..depth {
        s = if level % 2 == 0 {
            format!(r#"[{s},"fill"]"#)
        } else {
            format!(r#"{{"lvl":{s},"k":1}}"#)
        };
    }
    let doc = doc.to_string();
    if before {
        format!(r#"{{"a":{s},"b":{doc}}}"#)
    } else {
        format!(r#"{{"a":{doc},"b":{s}}}"#)
    }
}

/// Whether `shown` holds any 4-byte window of `secret` (the secret's alphabet, `Q`-`Z`,
/// never forms 4 letters in a row in the keys, the documents or `[redacted]`).
fn leaks(shown: &str, secret: &str) -> bool {
    secret
        .as_bytes()
        .windows(4)
        .any(|w| shown.as_bytes().windows(4).any(|s| s == w))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn snippet_never_shows_a_secret_under_a_secret_key(
        doc in arb_json(),
        (shape, key) in arb_placement(),
        secret in "[Q-Z]{12,24}",
        depth in 0usize..8,
        before in any::<bool>(),
        cut in 0.0f64..1.0,
    ) {
        let text = embed(&doc, &place(shape, &key, &secret), depth, before);
        let r = Redactor::none();
        // Valid JSON: the tree path.
        let shown = r.snippet(text.as_bytes());
        prop_assert!(!leaks(&shown, &secret), "tree: {shown}");
        // Pretty-printed, as text: the scanner.
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
        ).unwrap_or_default();
        let shown = r.scrub(if pretty == "null" { &text } else { &pretty });
        prop_assert!(!leaks(&shown, &secret), "scanner: {shown}");
        // Cut anywhere, as a truncated window.
        let mut at = ((text.len() as f64) * cut) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let shown = r.redact_text(&text[..at], true);
        prop_assert!(!leaks(&shown, &secret), "cut at {at}: {shown}");
    }

    #[test]
    fn scrub_finds_an_exact_secret_in_any_encoding(
        secret in r#"[A-Za-z0-9@:/&=+ %~!"\\<>é]{4,16}"#,
        encodings in prop::collection::vec(0u8..5, 16),
        before in "[a-z ]{0,20}",
        after in "[a-z ]{0,20}",
    ) {
        let mut encoded = String::new();
        for (i, c) in secret.chars().enumerate() {
            match encodings[i % encodings.len()] {
                1 => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        encoded.push_str(&format!("%{b:02X}"));
                    }
                }
                2 => encoded.push_str(&format!("\\u{:04x}", c as u32)),
                3 => encoded.push_str(&format!("&#{};", c as u32)),
                4 if c == ' ' => encoded.push('+'),
                _ => encoded.push(c),
            }
        }
        let text = format!("{before}{encoded}{after}");
        let shown = Redactor::new([secret.as_str()]).scrub(&text);
        prop_assert!(!shown.contains(&encoded), "{text:?} -> {shown:?}");
        prop_assert!(shown.contains("[redacted]"), "{text:?} -> {shown:?}");
    }
}

#[test]
fn debug_of_public_types_with_open_json_hides_secrets() {
    let secret_json = json!({
        "apiToken": "Zq7-ext-1",
        "nested": {"client_secret": "Zq7-ext-2", "note": "visible-note"},
    });
    let extra: serde_json::Map<String, Value> = secret_json.as_object().unwrap().clone();

    let mut scim_user = crate::scim::User::new("alice").password("Zq7-scim-pw".to_string());
    scim_user.extra = extra.clone();
    let mut scim_group = crate::scim::Group::new("eng");
    scim_group.extra = extra.clone();
    let bulk_result: crate::scim::BulkOperationResult = serde_json::from_value(json!({
        "method": "POST", "status": "400",
        "response": {"detail": "bad", "password": "Zq7-bulk"},
    }))
    .unwrap();
    let okta_user: crate::okta::User = serde_json::from_value(json!({
        "id": "00u1", "status": "ACTIVE",
        "profile": {"login": "ada@example.com", "recoveryToken": "Zq7-profile"},
        "credentials": {"password": {"value": "Zq7-okta-pw"}, "provider": {"type": "OKTA"}},
        "_embedded": {"activationToken": "Zq7-embedded"},
    }))
    .unwrap();
    let okta_group: crate::okta::Group = serde_json::from_value(json!({
        "id": "00g1", "profile": {"name": "eng", "sharedSecret": "Zq7-group"},
        "_links": {"self": {"href": "https://org.okta.com/api/v1/groups/00g1"}},
    }))
    .unwrap();

    for (name, shown) in [
        ("scim::User", format!("{scim_user:?}")),
        ("scim::Group", format!("{scim_group:?}")),
        ("scim::BulkOperationResult", format!("{bulk_result:?}")),
        ("okta::User", format!("{okta_user:?}")),
        ("okta::Group", format!("{okta_group:?}")),
    ] {
        assert!(!shown.contains("Zq7"), "{name}: {shown}");
        assert!(
            shown.contains("[redacted]") || shown.contains("REDACTED"),
            "{name}: {shown}"
        );
    }
    assert!(format!("{scim_user:?}").contains("visible-note"));
    assert!(format!("{okta_user:?}").contains("ada@example.com"));
    assert!(format!("{okta_group:?}").contains("groups/00g1"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes, any secrets, cut or not: no panic, a bounded snippet.
    #[test]
    fn redaction_never_panics(
        body in prop::collection::vec(prop_oneof![
            any::<u8>(),
            prop::sample::select(b"{}[]\":,\\%&+=; \nuQ#x0a".to_vec()),
        ], 0..600),
        secrets in prop::collection::vec("[%&+\\\\a-c\"é]{0,6}", 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let r = Redactor::new(secrets.iter().map(String::as_str));
        let shown = r.snippet(&body);
        prop_assert!(shown.len() <= SNIPPET_LIMIT + '…'.len_utf8());
        let text = String::from_utf8_lossy(&body);
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let _ = r.redact_text(&text[..at], true);
        let _ = r.decode_message(&text, &text);
        let _ = display_raw_url(&text);
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(&body) {
            headers.insert(http::header::AUTHORIZATION, v);
        }
        let _ = Redactor::for_request(&headers, Some(&body)).with_json_body(&body);
    }
}
