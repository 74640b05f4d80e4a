//! How a client proves its identity to a token endpoint: [`ClientAuth`], and
//! [`ClientAssertion`] for signed assertions (RFC 7523).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use secrecy::SecretString;
use url::Url;

use crate::error::Result;

/// Signs a fresh client assertion (RFC 7523) for each token request, e.g. a private-key JWT.
///
/// Implemented by the crate's private-key JWT signer; implement it yourself to sign with a
/// key held in an HSM or a cloud KMS.
pub trait ClientAssertion: Send + Sync + fmt::Debug {
    /// The `client_assertion_type` (for JWTs:
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`).
    fn assertion_type(&self) -> &str {
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    }

    /// A new signed assertion for `client_id` at `token_url`, issued at `now`. Called once
    /// per token request, retries included, so every assertion has a fresh `jti`.
    fn sign(&self, client_id: &str, token_url: &Url, now: SystemTime) -> Result<SecretString>;
}

/// How the client proves its identity to the token endpoint.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1
    /// requires (`client_secret_basic`). The default.
    #[default]
    BasicHeader,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    RequestBody,
    /// A signed client assertion in the form body (`private_key_jwt`, RFC 7523).
    Assertion(Arc<dyn ClientAssertion>),
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientAuth::BasicHeader => f.write_str("BasicHeader"),
            ClientAuth::RequestBody => f.write_str("RequestBody"),
            ClientAuth::Assertion(a) => f.debug_tuple("Assertion").field(a).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Signer;

    impl ClientAssertion for Signer {
        fn sign(&self, _: &str, _: &Url, _: SystemTime) -> Result<SecretString> {
            Ok(SecretString::from("a.b.c".to_owned()))
        }
    }

    #[test]
    fn jwt_bearer_by_default_and_a_debug_that_names_the_method() {
        assert_eq!(
            Signer.assertion_type(),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        // (auth, Debug)
        let table = [
            (ClientAuth::default(), "BasicHeader"),
            (ClientAuth::RequestBody, "RequestBody"),
            (ClientAuth::Assertion(Arc::new(Signer)), "Assertion(Signer)"),
        ];
        for (auth, shown) in table {
            assert_eq!(format!("{auth:?}"), shown);
        }
    }
}
