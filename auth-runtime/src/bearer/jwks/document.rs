//! Reading JWKS documents (RFC 7517 §5) into keys.

use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use serde::Deserialize;
use serde_json::Value;

use super::config::InlineJwks;
use crate::bearer::keys::{JwkRefusal, Key};
use crate::error::ConfigError;

/// A JWKS document whose keys are read one by one, so that one key this library cannot use
/// (or cannot even parse) does not take the others down with it.
#[derive(Deserialize)]
struct Document {
    keys: Vec<Value>,
}

/// One key of a document, or why it was left out. Its `alg` is read as written, so that the
/// RFC 9864 names (`Ed25519`), which jsonwebtoken's `Jwk` does not know, bind the key too.
fn read_key(value: &Value) -> Result<Key, JwkRefusal> {
    let jwk = Jwk::deserialize(value)
        .map_err(|error| JwkRefusal::Unusable(format!("it is not a valid JWK: {error}")))?;
    Key::try_from_jwk(&jwk, value.get("alg").and_then(Value::as_str))
}

/// The `kid` of a key, for logs and errors, even when the key does not parse.
fn kid_of(value: &Value) -> Option<&str> {
    value.get("kid").and_then(Value::as_str)
}

/// The keys of a JWKS given in the configuration. Keys declared for something other than
/// signatures are skipped (a provider's JWKS often lists encryption keys too); any other
/// unusable key is a configuration error, and so is a document with no usable key.
pub(crate) fn inline_keys(jwks: &InlineJwks) -> Result<Vec<Key>, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidJwks(reason);
    let mut keys = Vec::new();
    let mut keep = |kid: Option<&str>, result: Result<Key, JwkRefusal>| match result {
        Ok(key) => {
            keys.push(key);
            Ok(())
        }
        Err(JwkRefusal::NotForSignatures(reason)) => {
            tracing::debug!(target: "auth_runtime", kid, reason, "JWKS key skipped");
            Ok(())
        }
        Err(JwkRefusal::Unusable(reason)) => Err(ConfigError::InvalidJwk {
            kid: kid.map(str::to_owned),
            reason,
        }),
    };
    match jwks {
        InlineJwks::Set(set) => {
            for jwk in &set.keys {
                keep(jwk.common.key_id.as_deref(), Key::try_from_jwk(jwk, None))?;
            }
        }
        InlineJwks::Json(json) => {
            let document: Document = serde_json::from_str(json)
                .map_err(|error| invalid(format!("not a JWKS document: {error}")))?;
            for value in &document.keys {
                keep(kid_of(value), read_key(value))?;
            }
        }
        InlineJwks::File(path) => {
            let json = std::fs::read_to_string(path)
                .map_err(|error| invalid(format!("cannot read {}: {error}", path.display())))?;
            let document: Document = serde_json::from_str(&json).map_err(|error| {
                invalid(format!(
                    "{} is not a JWKS document: {error}",
                    path.display()
                ))
            })?;
            for value in &document.keys {
                keep(kid_of(value), read_key(value))?;
            }
        }
    }
    if keys.is_empty() {
        return Err(invalid("the JWKS has no signature verification key".into()));
    }
    Ok(keys)
}

/// The usable keys of a JWKS document fetched from a provider. Every key left out is logged at
/// warn level with its `kid` and the reason (never key material):
/// - keys this library cannot use for signatures;
/// - symmetric (`oct`) keys: a published JWKS is public, and so would be the secret;
/// - keys whose `kid` is not unique in the document (which one was meant cannot be known).
///
/// Fails when the document does not parse or has no usable key, so that the last good keys
/// are kept.
pub(super) fn fetched_keys(body: &[u8]) -> Result<Vec<Key>, String> {
    let document: Document = serde_json::from_slice(body)
        .map_err(|error| format!("the response is not a JWKS document: {error}"))?;
    let mut kid_counts: HashMap<&str, usize> = HashMap::new();
    for kid in document.keys.iter().filter_map(kid_of) {
        *kid_counts.entry(kid).or_default() += 1;
    }
    let mut keys = Vec::new();
    for value in &document.keys {
        let kid = kid_of(value);
        let skip = |reason: &str| {
            tracing::warn!(target: "auth_runtime", kid, reason, "JWKS key skipped");
        };
        if kid.is_some_and(|kid| kid_counts[kid] > 1) {
            skip("its `kid` names more than one key in the document");
            continue;
        }
        match read_key(value) {
            Ok(_) if is_symmetric(value) => {
                skip("a symmetric (`oct`) key in a published JWKS is not secret: never trusted");
            }
            Ok(key) => keys.push(key),
            Err(refusal) => skip(refusal.reason()),
        }
    }
    if keys.is_empty() {
        return Err("the JWKS document has no usable signature verification key".into());
    }
    Ok(keys)
}

fn is_symmetric(value: &Value) -> bool {
    matches!(
        Jwk::deserialize(value).map(|jwk| jwk.algorithm),
        Ok(AlgorithmParameters::OctetKey(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::Algorithm;
    use serde_json::json;

    const ED25519_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const SECRET: &str = "VEVTVC1PTkxZLXNlY3JldC1vZi1hdC1sZWFzdC0zMi1ieXRlcyEhIQ";

    fn okp(kid: &str) -> Value {
        json!({ "kty": "OKP", "crv": "Ed25519", "kid": kid, "x": ED25519_X })
    }

    #[test]
    fn a_fetched_document_keeps_its_usable_keys() {
        let body = json!({ "keys": [
            okp("good"),
            { "kty": "OKP", "crv": "Ed25519", "kid": "enc", "use": "enc", "x": ED25519_X },
            { "kty": "EC", "crv": "P-256", "kid": "mismatch", "alg": "ES384",
              "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
              "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
            { "kty": "oct", "kid": "secret", "alg": "HS256", "k": SECRET },
            { "kty": "RSA", "kid": "tiny", "n": "AQAB", "e": "AQAB" },
            { "kty": "weird", "kid": "weird" },
            { "kid": 7 },
            okp("twice"),
            okp("twice"),
        ]});
        let keys = fetched_keys(body.to_string().as_bytes()).unwrap();
        let kids: Vec<_> = keys.iter().map(Key::kid).collect();
        assert_eq!(kids, [Some("good")]);
        assert_eq!(keys[0].algorithm(), Algorithm::EdDSA);
    }

    #[test]
    fn a_fetched_document_without_a_usable_key_is_a_failure() {
        for body in [
            json!({ "keys": [] }),
            json!({ "keys": [{ "kty": "oct", "alg": "HS256", "k": SECRET }] }),
            json!({ "nokeys": true }),
            json!([1, 2]),
        ] {
            assert!(fetched_keys(body.to_string().as_bytes()).is_err(), "{body}");
        }
        assert!(fetched_keys(b"<html>").is_err());
    }

    #[test]
    fn an_inline_document_may_hold_symmetric_keys_and_skips_encryption_keys() {
        let json = json!({ "keys": [
            { "kty": "oct", "kid": "h", "alg": "HS256", "k": SECRET },
            { "kty": "OKP", "crv": "Ed25519", "kid": "enc", "use": "enc", "x": ED25519_X },
        ]});
        let keys = inline_keys(&InlineJwks::Json(json.to_string())).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].algorithm(), Algorithm::HS256);
    }

    #[test]
    fn an_inline_document_with_a_broken_key_is_a_configuration_error() {
        let json = json!({ "keys": [
            okp("good"),
            { "kty": "oct", "kid": "short", "alg": "HS256", "k": "c2hvcnQ" },
        ]});
        let error = inline_keys(&InlineJwks::Json(json.to_string())).unwrap_err();
        assert!(
            matches!(&error, ConfigError::InvalidJwk { kid: Some(kid), .. } if kid == "short"),
            "{error}"
        );
        assert!(!error.to_string().contains("c2hvcnQ"));
        assert!(matches!(
            inline_keys(&InlineJwks::Json("{}".into())),
            Err(ConfigError::InvalidJwks(_))
        ));
    }
}
