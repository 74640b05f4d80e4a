//! The token endpoint's answer (RFC 6749 §5.1) and its error body (§5.2), read tolerantly
//! and never trusted: `expires_in` as a number or a numeric string, capped; an empty
//! `access_token` refused; no value of the body ever copied into an error message.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::error::{Error, OAuthError, Result, error_field};
use crate::transport::Response;

/// The longest token lifetime believed (one day). A longer `expires_in` is read as one day:
/// the token is then refreshed daily, which costs one request and bounds how long a token
/// the server revoked can stay cached.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A token endpoint's successful answer.
pub(crate) struct TokenResponse {
    pub(crate) access_token: SecretString,
    /// As sent (RFC 6749 §5.1: required), scrubbed of the secrets the request carried.
    pub(crate) token_type: String,
    /// `expires_in`, capped at [`MAX_TOKEN_LIFETIME`]; `None` when not sent.
    pub(crate) expires_in: Option<Duration>,
    /// `scope`, split on spaces; `None` when not sent.
    pub(crate) scopes: Option<Vec<String>>,
}

impl TokenResponse {
    /// Reads a 2xx token response. A body with an `error` member (some servers answer 200)
    /// is an [`Error::OAuth`].
    pub(crate) fn from_response(response: &Response) -> Result<TokenResponse> {
        let body: Map<String, Value> = response.json()?;
        if body.contains_key("error")
            && !body.contains_key("access_token")
            && let Some(err) = oauth_error(response)
        {
            return Err(err);
        }
        let mut token = Self::from_map(&body).map_err(|message| response.decode_error(message))?;
        // An unusable `token_type` is quoted in `Error::UnsupportedTokenType`: a hostile
        // server may have put the client's credentials there.
        token.token_type = response.redactor().scrub(&token.token_type);
        Ok(token)
    }

    /// The fields of a token response; the error says what is wrong without quoting values.
    pub(crate) fn from_map(body: &Map<String, Value>) -> std::result::Result<Self, String> {
        let access_token = match body.get("access_token") {
            Some(Value::String(token)) if token.trim().is_empty() => {
                return Err("at access_token: the token is empty".into());
            }
            Some(Value::String(token)) => token.clone(),
            Some(_) => return Err("at access_token: expected a string".into()),
            None => return Err("at access_token: missing".into()),
        };
        let token_type = match body.get("token_type") {
            Some(Value::String(t)) if !t.trim().is_empty() => t.trim().to_owned(),
            None | Some(Value::Null) => return Err("at token_type: missing".into()),
            Some(Value::String(_)) => return Err("at token_type: empty".into()),
            Some(_) => return Err("at token_type: expected a string".into()),
        };
        let expires_in = match body.get("expires_in") {
            None | Some(Value::Null) => None,
            Some(value) => {
                Some(lifetime(value).ok_or("at expires_in: expected a number of seconds")?)
            }
        };
        let scopes = match body.get("scope") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.split_whitespace().map(str::to_owned).collect()),
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            Some(_) => return Err("at scope: expected a string".into()),
        };
        Ok(TokenResponse {
            access_token: SecretString::from(access_token),
            token_type,
            expires_in,
            scopes,
        })
    }
}

/// `expires_in` as sent: an integer, a float (floored) or a numeric string, in seconds;
/// negative means already expired (zero); at most [`MAX_TOKEN_LIFETIME`].
fn lifetime(value: &Value) -> Option<Duration> {
    let seconds: f64 = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if seconds.is_nan() {
        return None;
    }
    let capped = seconds.clamp(0.0, MAX_TOKEN_LIFETIME.as_secs_f64());
    // In range by the clamp above, so the conversion cannot fail.
    Duration::try_from_secs_f64(capped.floor()).ok()
}

/// The OAuth error shape (RFC 6749 §5.2): `{"error": "...", "error_description": ...}`, as
/// an [`Error::OAuth`] carrying the status and request id. Fields are cut to 1 KiB and
/// scrubbed of any secret the request carried.
pub(crate) fn oauth_error(response: &Response) -> Option<Error> {
    let body: Map<String, Value> = serde_json::from_slice(&response.body).ok()?;
    let error = body.get("error")?.as_str()?;
    let redactor = response.redactor();
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(|v| error_field(&redactor, v))
    };
    Some(Error::OAuth(Box::new(OAuthError {
        status: Some(response.status),
        error: error_field(&redactor, error),
        error_description: text("error_description"),
        error_uri: text("error_uri"),
        request_id: response.request_id(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use secrecy::ExposeSecret;
    use serde_json::json;

    fn parse(body: Value) -> std::result::Result<TokenResponse, String> {
        TokenResponse::from_map(body.as_object().unwrap())
    }

    #[test]
    fn token_responses_table() {
        let day = MAX_TOKEN_LIFETIME;
        // (body, expected lifetime, or the error's words)
        let cases: Vec<(Value, std::result::Result<Option<Duration>, &str>)> = vec![
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}),
                Ok(Some(Duration::from_secs(3600))),
            ),
            (
                json!({"access_token": "t", "token_type": "bearer", "expires_in": "3600"}),
                Ok(Some(Duration::from_secs(3600))),
            ),
            (json!({"access_token": "t"}), Err("token_type")),
            (
                json!({"access_token": "t", "token_type": null}),
                Err("token_type"),
            ),
            (
                json!({"access_token": "t", "token_type": " "}),
                Err("token_type"),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": " 3599 "}),
                Ok(Some(Duration::from_secs(3599))),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3599.9}),
                Ok(Some(Duration::from_secs(3599))),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": "1e3"}),
                Ok(Some(Duration::from_secs(1000))),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": 0}),
                Ok(Some(Duration::ZERO)),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": -5}),
                Ok(Some(Duration::ZERO)),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": u64::MAX}),
                Ok(Some(day)),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": "99999999999999999999999"}),
                Ok(Some(day)),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": 1e300}),
                Ok(Some(day)),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": "inf"}),
                Ok(Some(day)),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": null}),
                Ok(None),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer"}),
                Ok(None),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": "NaN"}),
                Err("expires_in"),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": "soon"}),
                Err("expires_in"),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": [1]}),
                Err("expires_in"),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "expires_in": true}),
                Err("expires_in"),
            ),
            (json!({"access_token": ""}), Err("empty")),
            (json!({"access_token": " \t "}), Err("empty")),
            (json!({"access_token": null}), Err("access_token")),
            (json!({"access_token": 42}), Err("access_token")),
            (
                json!({"access_token": {"value": "secret-x"}}),
                Err("access_token"),
            ),
            (json!({"token_type": "Bearer"}), Err("missing")),
            (
                json!({"access_token": "t", "token_type": 7}),
                Err("token_type"),
            ),
            (
                json!({"access_token": "t", "token_type": "Bearer", "scope": {"a": 1}}),
                Err("scope"),
            ),
        ];
        for (body, expected) in cases {
            let parsed = parse(body.clone());
            match (parsed, expected) {
                (Ok(t), Ok(lifetime)) => {
                    assert_eq!(t.expires_in, lifetime, "{body}");
                    assert_eq!(t.access_token.expose_secret(), "t");
                }
                (Err(message), Err(words)) => {
                    assert!(message.contains(words), "{body}: {message}");
                    assert!(!message.contains("secret-x"), "{message}");
                }
                (Ok(_), Err(words)) => panic!("{body}: accepted, expected an error about {words}"),
                (Err(message), Ok(_)) => panic!("{body}: refused: {message}"),
            }
        }
    }

    #[test]
    fn scopes_as_string_or_array_and_type_kept() {
        let t = parse(json!({"access_token": "t", "token_type": "DPoP", "scope": "a  b"})).unwrap();
        assert_eq!(t.scopes, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(t.token_type, "DPoP");
        let t =
            parse(json!({"access_token": "t", "token_type": "x", "scope": ["x", 1, "y"]})).unwrap();
        assert_eq!(t.scopes, Some(vec!["x".to_owned(), "y".to_owned()]));
    }

    #[test]
    fn oauth_errors_are_bounded_and_typed() {
        let long = "d".repeat(5000);
        let body = json!({"error": "invalid_client", "error_description": long}).to_string();
        let response = Response::from_parts(
            StatusCode::UNAUTHORIZED,
            http::HeaderMap::new(),
            body.into(),
            url::Url::parse("https://idp.example.com/token").unwrap(),
        );
        match oauth_error(&response) {
            Some(Error::OAuth(e)) => {
                assert_eq!(e.error, "invalid_client");
                assert_eq!(e.status, Some(StatusCode::UNAUTHORIZED));
                let cut = e.error_description.unwrap();
                assert!(
                    cut.len() <= crate::error::MAX_ERROR_FIELD + 3,
                    "{}",
                    cut.len()
                );
            }
            other => panic!("{other:?}"),
        }
        let not_oauth = Response::from_parts(
            StatusCode::BAD_REQUEST,
            http::HeaderMap::new(),
            r#"{"error": 5}"#.into(),
            url::Url::parse("https://idp.example.com/token").unwrap(),
        );
        assert!(oauth_error(&not_oauth).is_none());
    }
    #[test]
    fn lifetimes_are_believed_up_to_one_day() {
        // (expires_in, lifetime)
        let day = 24 * 60 * 60;
        for (sent, believed) in [
            (day - 1, day - 1),
            (day, day),
            (day + 1, day),
            (7 * day, day),
        ] {
            let t = parse(json!({"access_token": "t", "token_type": "Bearer", "expires_in": sent}))
                .unwrap();
            assert_eq!(t.expires_in, Some(Duration::from_secs(believed)), "{sent}");
        }
    }

    #[test]
    fn a_2xx_body_holding_an_error_is_the_error() {
        let answer = |body: Value| {
            Response::from_parts(
                StatusCode::OK,
                http::HeaderMap::new(),
                body.to_string().into(),
                url::Url::parse("https://idp.example.com/token").unwrap(),
            )
        };
        // (body, the OAuth error it is, or the token it holds)
        let cases: Vec<(Value, std::result::Result<&str, &str>)> = vec![
            (json!({"error": "invalid_client"}), Err("invalid_client")),
            (
                json!({"error": "ignored", "access_token": "t1", "token_type": "Bearer"}),
                Ok("t1"),
            ),
            (
                json!({"access_token": "t2", "token_type": "Bearer"}),
                Ok("t2"),
            ),
        ];
        for (body, expected) in cases {
            match (
                TokenResponse::from_response(&answer(body.clone())),
                expected,
            ) {
                (Ok(t), Ok(token)) => assert_eq!(t.access_token.expose_secret(), token),
                (Err(Error::OAuth(e)), Err(code)) => {
                    assert_eq!(e.error, code);
                    assert_eq!(e.status, Some(StatusCode::OK));
                }
                (Ok(_), Err(code)) => panic!("{body}: accepted, expected {code}"),
                (Err(e), _) => panic!("{body}: {e:?}"),
            }
        }
        // An `error` that is not a string is no OAuth error: the body is read as a token
        // answer, and fails as one.
        let err = TokenResponse::from_response(&answer(json!({"error": 5})))
            .err()
            .unwrap();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }
}
