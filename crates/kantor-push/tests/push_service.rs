//! `send` against a local push service that does what a real one does: verifies the VAPID
//! token, decrypts the body with the subscriber's keys, and answers with the status codes the
//! error mapping has to handle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use kantor_push::testing::{vapid_claims, Subscriber};
use kantor_push::{
    send, NextStep, Push, PushError, SendOptions, SubscriptionKeys, Urgency, VapidKey,
    MAX_PLAINTEXT,
};

const SUBJECT: &str = "mailto:ops@kantor.test";
const TEST_OPTIONS: SendOptions = SendOptions {
    allow_http_loopback: true,
};

/// What the push service accepted, after verifying and decrypting it.
#[derive(Debug, Clone)]
struct Arrival {
    subscription: String,
    plaintext: Vec<u8>,
    ttl: Option<String>,
    urgency: Option<String>,
    topic: Option<String>,
    vapid_key: String,
}

#[derive(Default)]
struct ServiceState {
    origin: String,
    subscribers: HashMap<String, Subscriber>,
    arrivals: Vec<Arrival>,
    /// Every request that reached the service, accepted or not.
    requests: usize,
}

type Shared = Arc<Mutex<ServiceState>>;

struct PushService {
    state: Shared,
    origin: String,
}

impl PushService {
    async fn start() -> anyhow::Result<PushService> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(ServiceState {
            origin: origin.clone(),
            ..Default::default()
        }));
        let app = Router::new()
            .route("/push/{id}", post(accept))
            .route("/status/{code}", post(answer_with))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(PushService { state, origin })
    }

    /// A new browser subscription on this service: its endpoint and the keys it gives out.
    fn subscribe(&self, id: &str) -> anyhow::Result<(String, SubscriptionKeys)> {
        let subscriber = Subscriber::new();
        let keys = subscriber.keys();
        self.lock()?.subscribers.insert(id.to_owned(), subscriber);
        Ok((format!("{}/push/{id}", self.origin), keys))
    }

    fn arrivals(&self) -> anyhow::Result<Vec<Arrival>> {
        Ok(self.lock()?.arrivals.clone())
    }

    fn requests(&self) -> anyhow::Result<usize> {
        Ok(self.lock()?.requests)
    }

    fn lock(&self) -> anyhow::Result<std::sync::MutexGuard<'_, ServiceState>> {
        self.state
            .lock()
            .map_err(|_| anyhow!("push service state poisoned"))
    }
}

fn now_unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `POST /push/{id}`: RFC 8030 §5 as a push service sees it.
async fn accept(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(mut state) = state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    state.requests += 1;
    let Some(subscriber) = state.subscribers.get(&id).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if header(&headers, "content-encoding").as_deref() != Some("aes128gcm") {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "aes128gcm only").into_response();
    }
    let authorization = header(&headers, "authorization").unwrap_or_default();
    let verified = match vapid_claims(&authorization) {
        Ok(verified) => verified,
        Err(err) => return (StatusCode::UNAUTHORIZED, err.to_string()).into_response(),
    };
    if let Err(err) = verified.check(&state.origin, now_unix_secs()) {
        return (StatusCode::FORBIDDEN, err.to_string()).into_response();
    }
    let plaintext = match subscriber.decrypt(&body) {
        Ok(plaintext) => plaintext,
        Err(err) => return (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
    };
    state.arrivals.push(Arrival {
        subscription: id.clone(),
        plaintext,
        ttl: header(&headers, "ttl"),
        urgency: header(&headers, "urgency"),
        topic: header(&headers, "topic"),
        vapid_key: verified.public_key,
    });
    let location = format!("{}/message/{id}", state.origin);
    (StatusCode::CREATED, [("location", location)]).into_response()
}

/// `POST /status/{code}`: answers with that status; 429 and 503 carry `Retry-After: 7`.
async fn answer_with(State(state): State<Shared>, Path(code): Path<u16>) -> Response {
    if let Ok(mut state) = state.lock() {
        state.requests += 1;
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if code == 429 || code == 503 {
        return (status, [("retry-after", "7")]).into_response();
    }
    (status, "VAPID key does not match the subscription").into_response()
}

fn message(endpoint: String, keys: SubscriptionKeys, payload: &[u8]) -> Push {
    Push {
        endpoint,
        keys,
        payload: payload.to_vec(),
        ttl_secs: 3600,
        urgency: Urgency::Normal,
        topic: None,
    }
}

fn setup() -> (reqwest::Client, VapidKey) {
    (
        reqwest::Client::new(),
        VapidKey::generate(&mut rand::rngs::OsRng),
    )
}

#[tokio::test]
async fn round_trip_delivers_the_exact_json_and_headers() -> anyhow::Result<()> {
    let service = PushService::start().await?;
    let (client, vapid) = setup();
    let (endpoint, keys) = service.subscribe("alice-phone")?;
    let json = br#"{"kind":"meeting.starting","title":"Standup","url":"/m/42"}"#;
    let msg = Push {
        ttl_secs: 600,
        urgency: Urgency::High,
        topic: Some("meeting-42".into()),
        ..message(endpoint, keys, json)
    };

    let delivery = send(
        &client,
        &vapid,
        SUBJECT,
        &msg,
        now_unix_secs(),
        TEST_OPTIONS,
    )
    .await?;

    assert_eq!(delivery.status, 201);
    assert_eq!(
        delivery.location,
        Some(format!("{}/message/alice-phone", service.origin))
    );
    let arrivals = service.arrivals()?;
    let [arrival] = arrivals.as_slice() else {
        return Err(anyhow!("expected one arrival, got {arrivals:?}"));
    };
    assert_eq!(arrival.subscription, "alice-phone");
    assert_eq!(arrival.plaintext, json);
    assert_eq!(arrival.ttl.as_deref(), Some("600"));
    assert_eq!(arrival.urgency.as_deref(), Some("high"));
    assert_eq!(arrival.topic.as_deref(), Some("meeting-42"));
    assert_eq!(arrival.vapid_key, vapid.public_key_b64url());
    Ok(())
}

#[tokio::test]
async fn largest_payload_arrives_and_defaults_are_sent() -> anyhow::Result<()> {
    let service = PushService::start().await?;
    let (client, vapid) = setup();
    let (endpoint, keys) = service.subscribe("bob-laptop")?;
    let payload = vec![b'x'; MAX_PLAINTEXT];

    send(
        &client,
        &vapid,
        SUBJECT,
        &message(endpoint, keys, &payload),
        now_unix_secs(),
        TEST_OPTIONS,
    )
    .await?;

    let arrivals = service.arrivals()?;
    let arrival = arrivals.first().context("nothing arrived")?;
    assert_eq!(arrival.plaintext, payload);
    assert_eq!(arrival.urgency.as_deref(), Some("normal"));
    assert_eq!(arrival.topic, None);
    Ok(())
}

/// Sends to `/status/{code}` with valid keys and returns the error.
async fn answer_for(service: &PushService, code: u16) -> anyhow::Result<PushError> {
    let (client, vapid) = setup();
    let keys = Subscriber::new().keys();
    let endpoint = format!("{}/status/{code}", service.origin);
    let msg = message(endpoint, keys, b"{}");
    match send(
        &client,
        &vapid,
        SUBJECT,
        &msg,
        now_unix_secs(),
        TEST_OPTIONS,
    )
    .await
    {
        Ok(delivery) => Err(anyhow!("HTTP {code} was taken as delivered: {delivery:?}")),
        Err(err) => Ok(err),
    }
}

#[tokio::test]
async fn gone_subscriptions_are_reported_for_deletion() -> anyhow::Result<()> {
    let service = PushService::start().await?;
    for code in [404, 410] {
        let err = answer_for(&service, code).await?;
        assert!(
            matches!(err, PushError::Gone { status } if status == code),
            "{err:?}"
        );
        assert_eq!(err.next_step(), NextStep::DeleteSubscription);
    }
    // A subscription the service does not know answers 404 from the real handler too.
    let (client, vapid) = setup();
    let msg = message(
        format!("{}/push/unknown", service.origin),
        Subscriber::new().keys(),
        b"{}",
    );
    let err = send(
        &client,
        &vapid,
        SUBJECT,
        &msg,
        now_unix_secs(),
        TEST_OPTIONS,
    )
    .await
    .err();
    assert!(
        matches!(err, Some(PushError::Gone { status: 404 })),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn throttling_and_outages_are_retryable() -> anyhow::Result<()> {
    let service = PushService::start().await?;
    let expectations = [
        (429, Some(Duration::from_secs(7))),
        (503, Some(Duration::from_secs(7))),
        (500, None),
    ];
    for (code, retry_after) in expectations {
        let err = answer_for(&service, code).await?;
        assert!(
            matches!(&err, PushError::Retryable { status, retry_after: after }
                if *status == code && *after == retry_after),
            "{code}: {err:?}"
        );
        assert_eq!(err.next_step(), NextStep::Retry { after: retry_after });
    }
    Ok(())
}

#[tokio::test]
async fn other_refusals_are_permanent() -> anyhow::Result<()> {
    let service = PushService::start().await?;
    let err = answer_for(&service, 413).await?;
    assert!(matches!(err, PushError::PayloadTooLarge), "{err:?}");
    let err = answer_for(&service, 403).await?;
    match &err {
        PushError::Rejected {
            status: 403,
            detail,
        } => {
            assert_eq!(detail, "VAPID key does not match the subscription")
        }
        other => return Err(anyhow!("403 mapped to {other:?}")),
    }
    assert_eq!(err.next_step(), NextStep::Drop);
    Ok(())
}

#[tokio::test]
async fn oversized_payload_is_refused_before_sending() -> anyhow::Result<()> {
    let service = PushService::start().await?;
    let (client, vapid) = setup();
    let (endpoint, keys) = service.subscribe("carol")?;
    let msg = message(endpoint, keys, &vec![b'x'; MAX_PLAINTEXT + 1]);

    let err = send(
        &client,
        &vapid,
        SUBJECT,
        &msg,
        now_unix_secs(),
        TEST_OPTIONS,
    )
    .await
    .err();

    assert!(
        matches!(
            err,
            Some(PushError::PlaintextTooLarge {
                len: 3994,
                max: 3993
            })
        ),
        "{err:?}"
    );
    assert_eq!(service.requests()?, 0);
    Ok(())
}

#[tokio::test]
async fn bad_subscriptions_are_refused_before_sending() -> anyhow::Result<()> {
    let service = PushService::start().await?;
    let (client, vapid) = setup();
    let (endpoint, keys) = service.subscribe("dave")?;
    let now = now_unix_secs();

    let bad_p256dh = SubscriptionKeys {
        p256dh: keys.auth.clone(),
        ..keys.clone()
    };
    let err = send(
        &client,
        &vapid,
        SUBJECT,
        &message(endpoint.clone(), bad_p256dh, b"{}"),
        now,
        TEST_OPTIONS,
    )
    .await
    .err();
    assert!(
        matches!(
            err,
            Some(PushError::InvalidKeyLength {
                field: "p256dh",
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.map(|e| e.next_step()),
        Some(NextStep::DeleteSubscription)
    );

    let bad_auth = SubscriptionKeys {
        auth: "%%%".into(),
        ..keys.clone()
    };
    let err = send(
        &client,
        &vapid,
        SUBJECT,
        &message(endpoint.clone(), bad_auth, b"{}"),
        now,
        TEST_OPTIONS,
    )
    .await
    .err();
    assert!(
        matches!(err, Some(PushError::InvalidBase64 { field: "auth" })),
        "{err:?}"
    );

    // Production options refuse the plain-http endpoint of the test service.
    let msg = message(endpoint.clone(), keys.clone(), b"{}");
    let err = send(&client, &vapid, SUBJECT, &msg, now, SendOptions::default())
        .await
        .err();
    assert!(
        matches!(err, Some(PushError::InvalidEndpoint { .. })),
        "{err:?}"
    );

    let msg = Push {
        topic: Some("not a topic".into()),
        ..message(endpoint, keys, b"{}")
    };
    let err = send(&client, &vapid, SUBJECT, &msg, now, TEST_OPTIONS)
        .await
        .err();
    assert!(matches!(err, Some(PushError::InvalidTopic)), "{err:?}");

    assert_eq!(service.requests()?, 0);
    Ok(())
}

#[tokio::test]
async fn unreachable_service_is_retryable() -> anyhow::Result<()> {
    // Bind and drop a listener so the port is (almost certainly) closed.
    let port = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await?
        .local_addr()?
        .port();
    let (client, vapid) = setup();
    let msg = message(
        format!("http://127.0.0.1:{port}/push/x"),
        Subscriber::new().keys(),
        b"{}",
    );
    let err = send(
        &client,
        &vapid,
        SUBJECT,
        &msg,
        now_unix_secs(),
        TEST_OPTIONS,
    )
    .await
    .err();
    assert!(matches!(err, Some(PushError::Transport(_))), "{err:?}");
    assert_eq!(
        err.map(|e| e.next_step()),
        Some(NextStep::Retry { after: None })
    );
    Ok(())
}
