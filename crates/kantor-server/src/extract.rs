//! Request body extractors with Kantor's error codes: malformed JSON is 400
//! `request.malformed`, unknown or missing fields are 422 naming the field, bodies over the
//! limit are 413 `request.too_large`; malformed query parameters are 422 naming the parameter.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON body, parsed with our errors.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.content_type",
                "send JSON with Content-Type: application/json",
            ));
        }
        let bytes = read_body(req, state.config.max_json_bytes).await?;
        parse_json(&bytes).map(Json)
    }
}

/// Query parameters, parsed with our errors: a malformed value is 422 `validation.invalid`
/// naming the parameter (axum's own rejection is plain text).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Query(q.0))
            .map_err(|rejection| {
                // e.g. "Failed to deserialize query string: limit: invalid digit found in string"
                let text = rejection.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                let field = detail.split_once(": ").map(|(f, _)| f).filter(|f| {
                    !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
                let err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation.invalid",
                    detail.to_string(),
                );
                match field {
                    Some(f) => err.with_field(f),
                    None => err,
                }
            })
    }
}

/// Reads a whole body, refusing more than `limit` bytes.
pub async fn read_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::too_large(
                "request.too_large",
                format!("the body is larger than {limit} bytes"),
            )
        })
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => {
                let msg = e.to_string();
                if let Some(field) = between(&msg, "unknown field `", "`") {
                    ApiError::invalid(
                        field,
                        "request.unknown_field",
                        format!("unknown field `{field}`"),
                    )
                } else if let Some(field) = between(&msg, "missing field `", "`") {
                    ApiError::invalid(
                        field,
                        "request.missing_field",
                        format!("missing field `{field}`"),
                    )
                } else {
                    // e.g. "invalid type: integer `1`, expected a string at line 1 column 9"
                    let clean = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "validation.invalid",
                        clean,
                    )
                }
            }
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.malformed",
                "the body is not valid JSON",
            ),
        }
    })
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<Login>(b"{\"email\":").expect_err("refused");
        assert_eq!((e.status.as_u16(), e.code), (400, "request.malformed"));
        let e = parse_json::<Login>(br#"{"email":"a","password":"b","admin":true}"#)
            .expect_err("refused");
        assert_eq!(
            (e.status.as_u16(), e.code, e.field.as_deref()),
            (422, "request.unknown_field", Some("admin"))
        );
        let e = parse_json::<Login>(br#"{"email":"a"}"#).expect_err("refused");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("request.missing_field", Some("password"))
        );
    }
}
