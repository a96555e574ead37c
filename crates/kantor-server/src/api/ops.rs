//! Operations endpoints: liveness, readiness, metrics and the OpenAPI document.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database and the bus are reachable, and we are not shutting down.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = state.store.ping().await.is_ok();
    let bus = state.bus.is_connected();
    let draining = state.shutdown.is_cancelled();
    let body = serde_json::json!({"database": db, "bus": bus, "draining": draining});
    let status = if db && bus && !draining {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(&state).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// This OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "ops", operation_id = "get_openapi", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content(("application/json")))))]
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi_json(),
    )
        .into_response()
}

/// A known path with a method it does not have: the usual error body, with 405.
pub async fn method_not_allowed() -> crate::error::ApiError {
    crate::error::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "request.method_not_allowed",
        "this path does not accept that method",
    )
}
