//! Which keys hold secrets, for OAuth 2.0, SCIM and Okta.
//!
//! Keys are compared case-insensitively and without separators: `access_token`,
//! `accessToken` and `Access-Token` are one key. A dotted, colon or slash path
//! (`credentials.password.value`, `urn:ietf:params:scim:schemas:core:2.0:User:password`,
//! `/credentials/password/value`) is judged by its segments.
//!
//! Always secret (any value but `true`/`false`/`null`, at any depth, the whole subtree of an
//! object or array):
//! - OAuth 2.0 and its extensions: `access_token`, `refresh_token`, `id_token`, `token`,
//!   `client_secret`, `client_assertion`, `assertion`, `device_code`, `user_code`,
//!   `code_verifier`, `subject_token`, `actor_token`, `device_secret`, `DPoP`,
//!   `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `SAMLResponse`;
//! - SCIM: `password`;
//! - Okta (from the management API spec): `credentials.password.value` (and `hash`),
//!   `recovery_question.answer`, `activationToken`, `activationUrl`, `resetPasswordUrl`,
//!   `tempPassword`, `sessionToken`, `recoveryToken`, `deviceToken`, `apiToken`, `apiKey`,
//!   `clientSecret`/`client_secret`, `secretKey` (Duo, CAPTCHA), `sharedSecret` (HOTP),
//!   `adminPassword`, `newPassword`/`oldPassword`, `passCode`/`nextPassCode`, `otpCode`,
//!   `privateKey`, `providerAuthToken`, `secret_hash`;
//! - by suffix, so new names are covered: any key ending in `token`, `secret`, `password`,
//!   `passwd`, `passcode`, `apikey`, `privatekey`, `assertion` or `answer` (`nextPageToken`
//!   is hidden too: a cursor is cheap to lose in an error message).
//!
//! Secret in context only:
//! - `code` when its value is a string (an authorization code; a number under `code` is a
//!   status code and is kept);
//! - `value` under `credentials`, `credential`, `recovery_question`, `authScheme` or
//!   `headers`, or next to a `path`/`name`/`key`/`field` that names a secret (SCIM PATCH
//!   `{"path":"password","value":..}`, Okta hook headers `{"key":"Authorization","value":..}`);
//! - the private JWK members `d`, `p`, `q`, `dp`, `dq`, `qi`, `k` and `oth` in an object
//!   with `kty`.

/// What a key says about its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyClass {
    /// Not a secret by itself.
    Plain,
    /// Always a secret, whatever the value.
    Secret,
    /// A secret when the value is a string (`code`).
    SecretString,
    /// `value`: a secret in a secret context or next to a name that names a secret.
    Value,
    /// A private JWK member: a secret in an object with `kty`.
    JwkPrivate,
    /// `kty`: its object is a JWK.
    Kty,
    /// `path`, `name`, `key`, `field`: names the attribute its sibling `value` holds.
    Names,
    /// A container whose `value`s are secrets.
    Context,
}

/// Whether `key`'s value is a secret wherever the key appears (the keys of the module
/// docs that are secret without context, `code` included): `access_token`, `accessToken`
/// and `Access-Token` alike.
pub(crate) fn is_secret_key(key: &str) -> bool {
    matches!(classify(key), KeyClass::Secret | KeyClass::SecretString)
}

/// The class of a key, judged by its last segment and the segments before it.
pub(super) fn classify(key: &str) -> KeyClass {
    let mut segments = key
        .split([':', '.', '/'])
        .filter(|s| !s.trim().is_empty())
        .peekable();
    let mut under_secret = false;
    let mut under_context = false;
    while let Some(segment) = segments.next() {
        let class = classify_segment(segment);
        if segments.peek().is_none() {
            return match class {
                _ if under_secret => KeyClass::Secret,
                KeyClass::Value if under_context => KeyClass::Secret,
                other => other,
            };
        }
        match class {
            KeyClass::Secret | KeyClass::SecretString => under_secret = true,
            KeyClass::Context => under_context = true,
            _ => {}
        }
    }
    KeyClass::Plain
}

/// Whether the value of a `path`/`name`/`key` names a secret attribute: `password`,
/// `urn:...:User:password`, `/credentials/password/value`, `credentials.password`,
/// `Authorization`. SCIM value filters (`emails[type eq "work"]`) are skipped.
pub(super) fn names_secret(name: &str) -> bool {
    let mut depth = 0usize;
    let mut plain = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '[' => depth = depth.saturating_add(1),
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split([':', '.', '/'])
        .filter(|s| !s.trim().is_empty())
        .any(|segment| {
            matches!(
                classify_segment(segment),
                KeyClass::Secret | KeyClass::SecretString | KeyClass::Context
            )
        })
}

/// Lower-case ASCII without `_`, `-`, spaces and tabs.
pub(super) fn normalize(segment: &str) -> String {
    segment
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Secret names that no suffix rule covers.
const SECRET_NAMES: &[&str] = &[
    "devicecode",
    "usercode",
    "codeverifier",
    "pwd",
    "authorization",
    "proxyauthorization",
    "cookie",
    "setcookie",
    "dpop",
    "activationurl",
    "resetpasswordurl",
    "otp",
    "otpcode",
    "secretkey",
    "passwordhash",
    "secrethash",
    "samlresponse",
];

/// Endings that make a name secret.
const SECRET_SUFFIXES: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "passcode",
    "apikey",
    "privatekey",
    "assertion",
    "answer",
];

fn classify_segment(segment: &str) -> KeyClass {
    let n = normalize(segment);
    match n.as_str() {
        "value" => KeyClass::Value,
        "kty" => KeyClass::Kty,
        "d" | "p" | "q" | "dp" | "dq" | "qi" | "k" | "oth" => KeyClass::JwkPrivate,
        "path" | "name" | "key" | "field" => KeyClass::Names,
        "credentials" | "credential" | "recoveryquestion" | "authscheme" | "headers" => {
            KeyClass::Context
        }
        "code" => KeyClass::SecretString,
        other
            if SECRET_NAMES.contains(&other)
                || SECRET_SUFFIXES.iter().any(|s| other.ends_with(s)) =>
        {
            KeyClass::Secret
        }
        _ => KeyClass::Plain,
    }
}

/// Whether a header name (in a text dump such as `Authorization: Bearer x`) carries a
/// credential: `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `DPoP`, and
/// `X-...` names that are secret keys (`X-Api-Key`, `X-Auth-Token`).
pub(super) fn is_secret_header(name: &str) -> bool {
    let n = normalize(name);
    matches!(
        n.as_str(),
        "authorization" | "proxyauthorization" | "cookie" | "setcookie" | "dpop"
    ) || (n.starts_with('x') && is_secret_key(name.get(1..).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_in_every_spelling() {
        for key in [
            "access_token",
            "accessToken",
            "Access-Token",
            "ACCESS_TOKEN",
            "access token",
            "client_secret",
            "clientSecret",
            "password",
            "Password",
            "urn:ietf:params:scim:schemas:core:2.0:User:password",
            "credentials.password.value",
            "recovery_question.answer",
            "activationToken",
            "activationUrl",
            "resetPasswordUrl",
            "sessionToken",
            "token",
            "apiToken",
            "code",
            "device_code",
            "client_assertion",
            "assertion",
            "id_token",
            "refresh_token",
            "newPassword",
            "sharedSecret",
            "secretKey",
            "passCode",
            "Authorization",
            "x-api-key",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "token_type",
            "tokenType",
            "expires_in",
            "passwordChanged",
            "client_id",
            "client_secret_expires_at",
            "value",
            "d",
            "userName",
            "errorCode",
            "scope",
            "token_endpoint",
            "secretVersionId",
            "",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn context_keys() {
        assert_eq!(classify("value"), KeyClass::Value);
        assert_eq!(classify("authScheme.value"), KeyClass::Secret);
        assert_eq!(classify("credentials.provider.type"), KeyClass::Plain);
        assert_eq!(classify("password.hash.salt"), KeyClass::Secret);
        assert_eq!(classify("qi"), KeyClass::JwkPrivate);
        assert!(names_secret("password"));
        assert!(names_secret("/credentials/password/value"));
        assert!(names_secret(
            "urn:ietf:params:scim:schemas:core:2.0:User:password"
        ));
        assert!(names_secret("Authorization"));
        assert!(!names_secret(r#"emails[type eq "password"].value"#));
        assert!(!names_secret("name.givenName"));
        assert!(is_secret_header("Proxy-Authorization"));
        assert!(is_secret_header("X-Auth-Token"));
        assert!(!is_secret_header("Content-Type"));
    }
}
