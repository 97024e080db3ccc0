//! A small, self-contained fake LeadLex API gateway for integration tests.
//!
//! [`Gateway::start`] runs a real HTTP/1.1 server on `127.0.0.1` (random port) on
//! its own thread with its own tokio runtime; with [`GatewayConfig::tls`] set it
//! speaks HTTPS instead (`support::tls` makes test certificates). It serves the
//! documented contact routes under the `/functions/v1/api-gateway` prefix, like the real
//! `https://data.leadlex.com/functions/v1/api-gateway`:
//!
//! - `POST /v1/contacts` (the data-integrity page's name rules, `created_date` bounds and
//!   400 `validation_error`), `GET /v1/contacts/{id}` (with `include`), `PATCH
//!   /v1/contacts/{id}` (a partial update, `notes` appended, names derived again),
//!   `DELETE /v1/contacts/{id}`, and `GET /v1/contacts` (List Contacts: search, filters,
//!   pages, sort; see `support::list`);
//! - `Authorization: Bearer <key>` auth (401 `invalid_key`), a per-key request
//!   budget (429 `rate_limited`), the `contacts:delete` permission, the Write
//!   permission and the Read permission (403 `insufficient_permissions`);
//! - `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` and
//!   `X-Request-ID` on every response.
//!
//! Order of checks: path prefix (404, not counted), auth (401, not counted),
//! rate limit (429), then routing. Every response carries `Connection: close`
//! and the socket is closed after it. A [`Behaviour`] other than
//! [`Behaviour::Documented`] injects exactly one deviation from the docs, so
//! tests can prove that the harness notices it.
//!
//! Behaviours come in two kinds. Connection faults ([`Behaviour::Stall`],
//! [`Behaviour::ResetConnection`], [`Behaviour::CloseEarly`], [`Behaviour::FailFirst`])
//! strike after a well-formed request has been read and recorded; a malformed request
//! still gets its 400. Response deviations (the others) shape every response, the 400
//! included, except where a variant says it acts on authenticated requests only.
//! Writes to a client that went away are ignored: a disconnect never panics the gateway.
//!
//! Over HTTPS, a connection whose TLS handshake fails (e.g. the client rejects the
//! certificate) is dropped without a response and without being recorded.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use uuid::Uuid;

pub use super::export::ExportAnswer;
pub use super::list::ListAnswer;

/// Path prefix under which the resource routes are served.
const PREFIX: &str = "/functions/v1/api-gateway";
/// Largest accepted request head (request line plus headers).
const MAX_HEAD: usize = 64 * 1024;
/// Largest accepted request body.
const MAX_BODY: usize = 1024 * 1024;
/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// What [`Behaviour::CloseEarly`] sends before closing: a head without its blank line.
const UNFINISHED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
/// How much longer than the body [`Behaviour::WrongContentLength`] claims it is.
const EXTRA_LENGTH: usize = 100;
/// The body of every [`Behaviour::NonUtf8Body`] response.
const NON_UTF8_BODY: [u8; 4] = [0xff, 0xfe, 0x00, 0x9f];
/// Length of every [`Behaviour::HugeBody`] response body: 50 MiB of spaces.
const HUGE_BODY: usize = 50 * 1024 * 1024;
/// Size of the chunks the huge body is written in.
const CHUNK: usize = 64 * 1024;

/// Keys, request budget and (optional) deviation of a [`Gateway`].
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Key holding every permission.
    pub full_key: String,
    /// Key lacking the `contacts:delete` permission.
    pub no_delete_key: String,
    /// Key with the Read permission only (no Write, no `contacts:delete`).
    pub read_only_key: String,
    /// Key with the Write permission only (no Read).
    pub write_only_key: String,
    /// Requests each key may make before it gets 429.
    pub rate_limit: u32,
    /// Documented behaviour, or one deviation from it.
    pub behaviour: Behaviour,
    /// Serve HTTPS with this certificate and key; plain HTTP when `None`.
    pub tls: Option<TlsIdentity>,
    /// How `POST /v1/contacts` answers: as documented, or with one deviation.
    pub create: CreateAnswer,
    /// How `GET /v1/contacts` answers: as documented, or with one deviation.
    pub list: ListAnswer,
    /// How `GET /v1/contacts/export` answers: as documented, or with one deviation.
    pub export: ExportAnswer,
}

/// How `POST /v1/contacts` answers (every other route is unaffected): the deviations a
/// buggy gateway may make that could lead a careless harness to delete another record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CreateAnswer {
    /// Stores the new contact under a fresh UUID and answers 201 with it.
    #[default]
    Documented,
    /// Stores nothing and answers 201 with the first stored contact (someone else's).
    ExistingRecord,
    /// Stores the new contact under this id and answers 201 with it.
    WithId(String),
    /// Stores the new contact and answers 201 with it, the `data` object repeating its
    /// `id` key with the first stored contact's id last.
    RepeatedId,
    /// Stores the new contact and answers 201 with only `{"data": {"id": …}}` (no fields
    /// that would show whose it is); reading it back shows them.
    IdOnly,
    /// Stores the new contact and answers 201 without its `id`.
    NoId,
    /// Stores the new contact and answers 201 with a body that is not JSON.
    Unreadable,
    /// Stores the new contact and answers 500.
    ServerError,
    /// Skips the documented checks of the body (a name or an email, `created_date`
    /// bounds): stores and answers 201 what it was sent, where 400 is documented.
    IgnoresValidation,
}

/// PEM certificate chain (leaf first) and private key the gateway serves HTTPS with.
#[derive(Clone, Debug)]
pub struct TlsIdentity {
    /// One or more `CERTIFICATE` blocks, leaf first.
    pub cert_pem: String,
    /// The leaf's private key (PKCS#8, PKCS#1 or SEC1 PEM).
    pub key_pem: String,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            full_key: "wbk_test_full_0123456789".to_owned(),
            no_delete_key: "wbk_test_nodelete_0123456789".to_owned(),
            read_only_key: "wbk_test_readonly_0123456789".to_owned(),
            write_only_key: "wbk_test_writeonly_0123456789".to_owned(),
            rate_limit: 1000,
            behaviour: Behaviour::Documented,
            tls: None,
            create: CreateAnswer::Documented,
            list: ListAnswer::Documented,
            export: ExportAnswer::Documented,
        }
    }
}

/// How the gateway behaves: as documented, or with exactly one deviation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Everything as the LeadLex documentation says.
    Documented,
    /// A successful DELETE answers 202 instead of 200 (same body).
    WrongStatus,
    /// The 403 answers code `forbidden` instead of `insufficient_permissions`.
    WrongErrorCode,
    /// A successful DELETE body has `"deleted": false`.
    DeletedFalse,
    /// A successful DELETE echoes a different (valid, random) UUID as `data.id`.
    OtherIdEchoed,
    /// A successful DELETE body is `{"deleted":true,"id":...}` without `data`.
    NoDataEnvelope,
    /// Every response omits `X-RateLimit-Remaining`.
    MissingRateLimitHeader,
    /// 401 responses are an HTML page (`text/html`) instead of JSON.
    HtmlErrorPage,
    /// A successful DELETE answers 200 with an empty body.
    EmptyBody,
    /// A successful DELETE answers its documented JSON with `Content-Type: text/plain`.
    JsonAsTextPlain,
    /// A successful DELETE answers its documented JSON without a `Content-Type` header.
    NoContentType,
    /// Every request is read and recorded, then never answered (socket held open).
    Stall,
    /// The no-delete key can delete (200, really deletes): permission not enforced.
    DeleteIgnoresPermission,
    /// The write-only key can read (Get and List Contacts answer 200): the Read permission
    /// is not enforced.
    ReadIgnoresPermission,
    /// No request budget: a key is never answered 429 (its `X-RateLimit-Remaining` stays
    /// at the limit).
    NoRateLimit,
    /// A careless gateway: every response sends the request's `Authorization` back in an
    /// `X-Echoed-Authorization` header, and the 403 answers code `echoed-<key>` with the
    /// key in its message and in an `authorization` field.
    EchoKey,
    /// Every request is read and recorded, then the socket is reset (SO_LINGER 0, so the
    /// client sees RST) without any response.
    ResetConnection,
    /// Every request is read and recorded, then the gateway sends only
    /// `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n` (head unfinished) and
    /// closes the socket normally.
    CloseEarly,
    /// Every response is the documented one, but its `Content-Length` claims 100 bytes
    /// more than the body sent before the socket closes.
    WrongContentLength,
    /// Every response body is the invalid UTF-8 bytes `ff fe 00 9f`, with
    /// `Content-Type: application/json` and a correct `Content-Length`; status, other
    /// headers and effects as documented.
    NonUtf8Body,
    /// Every response is 200 `application/json` with a correct `Content-Length` of 50 MiB,
    /// the body streamed as 64 KiB chunks of spaces; effects and other headers as
    /// documented. Writing stops quietly when the client goes away.
    HugeBody,
    /// Every authenticated request gets 429 `rate_limited` with `X-RateLimit-Remaining: 0`
    /// and, when `retry_after` is `Some(s)`, `Retry-After: s`. No budget is spent; 404
    /// (outside the prefix) and 401 are answered as documented.
    RateLimited {
        /// Seconds sent as `Retry-After`; no such header when `None`.
        retry_after: Option<u32>,
    },
    /// The first `count` authenticated requests, counted gateway-wide over both keys, get
    /// the 429 of [`Behaviour::RateLimited`] (spending no budget); later ones are
    /// answered as documented.
    RateLimitedFirst {
        /// How many authenticated requests are refused.
        count: u32,
        /// Seconds sent as `Retry-After` on those refusals; no such header when `None`.
        retry_after: Option<u32>,
    },
    /// The first N connections that deliver a well-formed request are reset like
    /// [`Behaviour::ResetConnection`] (the request is recorded, nothing takes effect);
    /// later ones are served as documented.
    FailFirst(u32),
    /// Every response is sent after sleeping this many milliseconds. The request takes
    /// effect when it arrives; only the answer is late.
    Slow(u64),
    /// Like [`Behaviour::EchoKey`], but the key is echoed in a disguise: the 403 answers
    /// code `echoed-<disguised key>` with the disguised key in its message and in an
    /// `authorization` field, and every response to a key sends `X-Echoed-Authorization:
    /// Bearer <disguised key>` when the disguise can go in a header (no control characters).
    EchoKeyAs(Disguise),
    /// A hostile gateway: the 403 to the no-delete key has exactly this body (sent as
    /// `application/json`, whatever it is), and every response carries `X-Note: <note>`
    /// (which must be header-safe: no control characters but tab).
    Hostile {
        body: &'static str,
        note: &'static str,
    },
    /// Create answers a contact whose id is `x` repeated this many times and then a UUID
    /// (so each id is distinct); the other routes as documented.
    HugeId(usize),
    /// Create answers a contact whose id is the full-permission key itself.
    CreatedIdIsKey,
}

/// How [`Behaviour::EchoKeyAs`] disguises the key it echoes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disguise {
    /// `ESC[0m` after the key's fourth character.
    Ansi,
    /// An OSC window title sequence (`ESC]0;t BEL`) after the fourth character.
    Osc,
    /// A NUL after the fourth character.
    Nul,
    /// U+200B (zero-width space) between every two characters.
    ZeroWidth,
    /// U+00AD (soft hyphen) after the fourth character.
    SoftHyphen,
    /// U+202E (right-to-left override) after the fourth character.
    Bidi,
    /// Every byte percent-encoded, lower-case hex.
    UrlEncoded,
    /// Standard base64 of `key:`, as in a Basic `Authorization` header.
    Base64Basic,
    /// Unpadded base64url of `user:<key>:x`, so the key sits at an unaligned offset.
    Base64UrlEmbedded,
}

impl Disguise {
    /// Every disguise, for tests that try them all.
    pub const ALL: [Disguise; 9] = [
        Disguise::Ansi,
        Disguise::Osc,
        Disguise::Nul,
        Disguise::ZeroWidth,
        Disguise::SoftHyphen,
        Disguise::Bidi,
        Disguise::UrlEncoded,
        Disguise::Base64Basic,
        Disguise::Base64UrlEmbedded,
    ];

    /// `key` in this disguise.
    pub fn apply(self, key: &str) -> String {
        use base64::Engine;
        let split = |inserted: &str| {
            let at = key.char_indices().nth(4).map_or(key.len(), |(i, _)| i);
            format!("{}{inserted}{}", &key[..at], &key[at..])
        };
        match self {
            Disguise::Ansi => split("\u{1b}[0m"),
            Disguise::Osc => split("\u{1b}]0;t\u{7}"),
            Disguise::Nul => split("\u{0}"),
            Disguise::ZeroWidth => key
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join("\u{200b}"),
            Disguise::SoftHyphen => split("\u{ad}"),
            Disguise::Bidi => split("\u{202e}"),
            Disguise::UrlEncoded => key.bytes().map(|b| format!("%{b:02x}")).collect(),
            Disguise::Base64Basic => {
                base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
            }
            Disguise::Base64UrlEmbedded => {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("user:{key}:x"))
            }
        }
    }
}

/// One request as received by the gateway.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Request method, e.g. `DELETE`.
    pub method: String,
    /// Path after the gateway prefix (e.g. `/v1/contacts/<id>`), query stripped.
    /// Requests outside the prefix keep their full path.
    pub path: String,
    /// Raw `Authorization` header value, if any.
    pub authorization: Option<String>,
    /// The `Accept` header value, if any.
    pub accept: Option<String>,
    /// Request body (lossy UTF-8).
    pub body: String,
    /// When the request head (request line and headers) had been fully read.
    pub at: Instant,
}

/// A running fake gateway; dropping it stops the server.
pub struct Gateway {
    /// `http://127.0.0.1:PORT/functions/v1/api-gateway`, or `https://...` with TLS.
    pub base_url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Gateway {
    /// Binds a random local port and serves on a background thread.
    /// Returns once the socket is listening. Panics on unusable TLS material.
    pub fn start(config: GatewayConfig) -> Gateway {
        let acceptor = config.tls.as_ref().map(tls_acceptor);
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind gateway");
        let port = listener.local_addr().expect("local addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let shared = Arc::new(Shared {
            config,
            state: Mutex::default(),
        });
        let (shutdown, signal) = oneshot::channel();
        let server = Arc::clone(&shared);
        let thread = std::thread::spawn(move || serve(listener, acceptor, server, signal));
        Gateway {
            base_url: format!("{scheme}://127.0.0.1:{port}{PREFIX}"),
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state().requests.clone()
    }

    /// Ids of the contacts currently stored, in creation order.
    pub fn contact_ids(&self) -> Vec<String> {
        let state = self.shared.state();
        let ids = state.contacts.iter().filter_map(contact_id);
        ids.map(str::to_owned).collect()
    }

    /// Pre-seeds a contact that "someone else" created.
    pub fn insert_contact(&self, id: &str) {
        let contact = json!({
            "id": id, "first_name": "Seeded", "last_name": "Contact",
            "full_name": "Seeded Contact", "email": null, "priority": null,
            "created_date": now_rfc3339(),
        });
        self.shared.state().contacts.push(contact);
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// State shared between the [`Gateway`] handle and the server tasks.
struct Shared {
    config: GatewayConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    requests: Vec<RecordedRequest>,
    contacts: Vec<Value>,
    /// Requests counted per key.
    used: HashMap<String, u32>,
    /// Connections reset so far by [`Behaviour::FailFirst`].
    failed: u32,
    /// Requests refused so far by [`Behaviour::RateLimitedFirst`].
    refused: u32,
}

/// Counts one more event on `counter` while fewer than `n` have happened; true if counted.
fn count_first(counter: &mut u32, n: u32) -> bool {
    let counted = *counter < n;
    if counted {
        *counter += 1;
    }
    counted
}

impl State {
    fn index_of(&self, id: &str) -> Option<usize> {
        self.contacts.iter().position(|c| contact_id(c) == Some(id))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Full,
    NoDelete,
    ReadOnly,
    WriteOnly,
}

/// A parsed HTTP request: only the parts the gateway looks at.
struct Request {
    method: String,
    /// Full path, query string stripped.
    path: String,
    /// The query string, without its `?`.
    query: String,
    authorization: Option<String>,
    accept: Option<String>,
    content_length: usize,
    body: String,
    /// When the head had been fully read.
    at: Instant,
}

/// A fault injected into a connection instead of answering it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    Stall,
    Reset,
    CloseEarly,
}

/// The gateway's end of a connection, plain or TLS, with access to its TCP socket.
trait Socket: AsyncRead + AsyncWrite + Unpin {
    fn tcp(&self) -> &TcpStream;
}

impl Socket for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Socket for TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

/// A response before the rate-limit and request-id headers are added.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    /// Spaces streamed after `body` (the `HugeBody` behaviour).
    spaces: usize,
    remaining: u32,
    /// Sent back as `X-Echoed-Authorization` (the `EchoKey` behaviour).
    echo: Option<String>,
    /// Sent as `Retry-After` (the `RateLimited*` behaviours).
    retry_after: Option<u32>,
    /// Sent as `Content-Disposition` (the export).
    disposition: Option<&'static str>,
}

impl Reply {
    fn new(status: u16, content_type: &'static str, body: String) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into_bytes(),
            spaces: 0,
            remaining: 0,
            echo: None,
            retry_after: None,
            disposition: None,
        }
    }

    fn json(status: u16, body: &Value) -> Reply {
        Reply::new(status, "application/json", body.to_string())
    }

    fn error(status: u16, code: &str, message: &str) -> Reply {
        let body = json!({ "error": { "code": code, "message": message } });
        Reply::json(status, &body)
    }

    fn with_remaining(mut self, remaining: u32) -> Reply {
        self.remaining = remaining;
        self
    }
}

/// A TLS acceptor for `identity`, on the ring provider (no process-wide default needed).
fn tls_acceptor(identity: &TlsIdentity) -> TlsAcceptor {
    let certs = CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("gateway TLS certificate PEM");
    assert!(
        !certs.is_empty(),
        "gateway TLS certificate PEM has no certificate"
    );
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())
        .expect("gateway TLS private key PEM");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("gateway TLS certificate and key");
    // Only HTTP/1.1 is implemented; clients offering h2 fall back to it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

fn serve(
    listener: std::net::TcpListener,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    signal: oneshot::Receiver<()>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("gateway runtime");
    runtime.block_on(accept_loop(listener, acceptor, shared, signal));
    // Stalled connections are parked forever; dropping the runtime cancels them.
    runtime.shutdown_timeout(Duration::from_secs(1));
}

async fn accept_loop(
    listener: std::net::TcpListener,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut signal: oneshot::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut signal => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let shared = Arc::clone(&shared);
                    drop(match &acceptor {
                        None => tokio::spawn(connection(stream, shared)),
                        Some(tls) => tokio::spawn(tls_connection(tls.clone(), stream, shared)),
                    });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

/// Completes the TLS handshake, then serves the connection like a plain one.
/// A failed or timed-out handshake just drops the socket.
async fn tls_connection(acceptor: TlsAcceptor, stream: TcpStream, shared: Arc<Shared>) {
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    if let Ok(Ok(stream)) = handshake.await {
        connection(stream, shared).await;
    }
}

/// Serves one request on `stream` (plain TCP or TLS), then closes it.
async fn connection(mut stream: impl Socket, shared: Arc<Shared>) {
    let limit = shared.config.rate_limit;
    let reply = match read_request(&mut stream).await {
        Ok(Some(request)) => {
            shared.record(&request);
            match shared.fault() {
                Some(Fault::Stall) => return std::future::pending().await,
                Some(Fault::Reset) => return reset(stream),
                Some(Fault::CloseEarly) => return close_early(stream).await,
                None => shared.respond(&request),
            }
        }
        Ok(None) => return,
        Err(msg) => Reply::error(400, "bad_request", msg).with_remaining(limit),
    };
    let behaviour = shared.config.behaviour;
    let reply = reshape(reply, behaviour);
    if let Behaviour::Slow(millis) = behaviour {
        tokio::time::sleep(Duration::from_millis(millis)).await;
    }
    // Errors mean the client went away: nothing left to do but close.
    let _ = write_reply(&mut stream, &reply, &shared.config).await;
    let _ = stream.shutdown().await;
}

/// Closes abruptly: with SO_LINGER 0 the close sends RST instead of FIN.
fn reset(stream: impl Socket) {
    let _ = stream.tcp().set_zero_linger();
    drop(stream);
}

/// Sends an unfinished response head, then closes normally.
async fn close_early(mut stream: impl Socket) {
    let _ = stream.write_all(UNFINISHED_HEAD).await;
    let _ = stream.shutdown().await;
}

/// Reads one request; `Ok(None)` when the peer went away, `Err` when malformed.
async fn read_request(
    stream: &mut (impl AsyncRead + Unpin),
) -> Result<Option<Request>, &'static str> {
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err("Request head too large");
        }
        if !read_more(stream, &mut buf).await {
            return Ok(None);
        }
    };
    let at = Instant::now();
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| "Head is not UTF-8")?;
    let mut request = parse_head(head, at)?;
    let length = request.content_length;
    let mut body = buf.split_off(head_end + 4);
    while body.len() < length {
        if !read_more(stream, &mut body).await {
            return Ok(None);
        }
    }
    body.truncate(length);
    request.body = String::from_utf8_lossy(&body).into_owned();
    Ok(Some(request))
}

/// Appends whatever the socket has; false on EOF or error.
async fn read_more(stream: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// Parses the request line and headers (complete at `at`); the body is left empty.
fn parse_head(head: &str, at: Instant) -> Result<Request, &'static str> {
    let mut lines = head.split("\r\n");
    let parts: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let [method, target, version] = parts.as_slice() else {
        return Err("Malformed request line");
    };
    if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Err("Malformed request line");
    }
    let target = target.split('#').next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut request = Request {
        method: method.to_string(),
        path: path.to_owned(),
        query: query.to_owned(),
        authorization: None,
        accept: None,
        content_length: 0,
        body: String::new(),
        at,
    };
    for line in lines {
        let (name, value) = line.split_once(':').ok_or("Malformed header line")?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "authorization" => request.authorization = Some(value.to_owned()),
            "accept" => request.accept = Some(value.to_owned()),
            "content-length" => request.content_length = value.parse().map_err(|_| "Bad length")?,
            "transfer-encoding" => return Err("Transfer-Encoding is not supported"),
            _ => {}
        }
    }
    match request.content_length {
        0..=MAX_BODY => Ok(request),
        _ => Err("Request body too large"),
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, request: &Request) {
        let path = strip_prefix(&request.path).unwrap_or(&request.path);
        let recorded = RecordedRequest {
            method: request.method.clone(),
            path: path.to_owned(),
            authorization: request.authorization.clone(),
            accept: request.accept.clone(),
            body: request.body.clone(),
            at: request.at,
        };
        self.state().requests.push(recorded);
    }

    /// The fault to inject into the connection whose request was just read, if any.
    fn fault(&self) -> Option<Fault> {
        match self.config.behaviour {
            Behaviour::Stall => Some(Fault::Stall),
            Behaviour::ResetConnection => Some(Fault::Reset),
            Behaviour::CloseEarly => Some(Fault::CloseEarly),
            Behaviour::FailFirst(n) => {
                count_first(&mut self.state().failed, n).then_some(Fault::Reset)
            }
            _ => None,
        }
    }

    /// The deliberate 429 for an authenticated request (`RateLimited*` behaviours), if any.
    fn refusal(&self) -> Option<Reply> {
        let retry_after = match self.config.behaviour {
            Behaviour::RateLimited { retry_after } => retry_after,
            Behaviour::RateLimitedFirst { count, retry_after } => {
                if !count_first(&mut self.state().refused, count) {
                    return None;
                }
                retry_after
            }
            _ => return None,
        };
        let mut reply = rate_limited();
        reply.retry_after = retry_after;
        Some(reply)
    }

    fn respond(&self, request: &Request) -> Reply {
        let limit = self.config.rate_limit;
        let Some(path) = strip_prefix(&request.path) else {
            return route_not_found().with_remaining(limit);
        };
        let Some((role, key)) = self.authenticate(request.authorization.as_deref()) else {
            return self.unauthorized().with_remaining(limit);
        };
        if let Some(refusal) = self.refusal() {
            return refusal;
        }
        let Some(remaining) = self.spend(key) else {
            return rate_limited();
        };
        let mut reply = self.route(&request.method, path, role, request);
        match self.config.behaviour {
            Behaviour::EchoKey => reply.echo = request.authorization.clone(),
            Behaviour::EchoKeyAs(disguise) => {
                let echoed = format!("Bearer {}", disguise.apply(key));
                if !echoed.chars().any(char::is_control) {
                    reply.echo = Some(echoed);
                }
            }
            _ => {}
        }
        reply.with_remaining(remaining)
    }

    fn authenticate<'a>(&'a self, header: Option<&str>) -> Option<(Role, &'a str)> {
        let (scheme, key) = header?.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let key = key.trim();
        if key == self.config.full_key {
            Some((Role::Full, &self.config.full_key))
        } else if key == self.config.no_delete_key {
            Some((Role::NoDelete, &self.config.no_delete_key))
        } else if key == self.config.read_only_key {
            Some((Role::ReadOnly, &self.config.read_only_key))
        } else if key == self.config.write_only_key {
            Some((Role::WriteOnly, &self.config.write_only_key))
        } else {
            None
        }
    }

    fn unauthorized(&self) -> Reply {
        if self.config.behaviour != Behaviour::HtmlErrorPage {
            return Reply::error(401, "invalid_key", "Invalid or expired API key");
        }
        let body = "<!DOCTYPE html><html><head><title>401 Unauthorized</title></head>\
                    <body><h1>401 Unauthorized</h1><p>Invalid or expired API key</p></body></html>";
        Reply::new(401, "text/html; charset=utf-8", body.to_owned())
    }

    /// Counts one request against `key`; `None` when its budget is used up.
    fn spend(&self, key: &str) -> Option<u32> {
        let limit = self.config.rate_limit;
        if self.config.behaviour == Behaviour::NoRateLimit {
            return Some(limit);
        }
        let mut state = self.state();
        let used = state.used.entry(key.to_owned()).or_insert(0);
        if *used >= limit {
            return None;
        }
        *used += 1;
        Some(limit - *used)
    }

    fn route(&self, method: &str, path: &str, role: Role, request: &Request) -> Reply {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let writes = matches!(method, "POST" | "PATCH" | "PUT");
        if role == Role::ReadOnly && writes {
            return Reply::error(403, "insufficient_permissions", "Missing write permission");
        }
        let reads = method == "GET" && self.config.behaviour != Behaviour::ReadIgnoresPermission;
        if role == Role::WriteOnly && reads {
            return Reply::error(403, "insufficient_permissions", "Missing read permission");
        }
        match (method, segments.as_slice()) {
            ("POST", ["v1", "contacts"]) => self.create(&request.body),
            ("GET", ["v1", "contacts"]) => self.list(&request.query),
            ("GET", ["v1", "contacts", "export"]) => self.export(&request.query),
            ("GET", ["v1", "contacts", id]) if !id.is_empty() => self.get(id, &request.query),
            ("PATCH", ["v1", "contacts", id]) if !id.is_empty() => self.update(id, &request.body),
            ("DELETE", ["v1", "contacts", id]) if !id.is_empty() => self.delete(id, role),
            _ => route_not_found(),
        }
    }

    fn create(&self, body: &str) -> Reply {
        let mut contact = match new_contact(body) {
            Ok(contact) => contact,
            Err(_) if self.config.create == CreateAnswer::IgnoresValidation => {
                let mut sent = serde_json::from_str::<Value>(body).unwrap_or(json!({}));
                sent["id"] = json!(Uuid::new_v4().to_string());
                sent
            }
            Err(message) => return Reply::error(400, "validation_error", message),
        };
        let mut state = self.state();
        let first = state.contacts.first().cloned();
        let first_id = first
            .as_ref()
            .and_then(contact_id)
            .unwrap_or_default()
            .to_owned();
        if let CreateAnswer::WithId(id) = &self.config.create {
            contact["id"] = json!(id);
        }
        match self.config.behaviour {
            Behaviour::HugeId(length) => {
                let id = format!("{}{}", "x".repeat(length), Uuid::new_v4());
                contact["id"] = json!(id);
            }
            Behaviour::CreatedIdIsKey => contact["id"] = json!(self.config.full_key),
            _ => {}
        }
        if self.config.create != CreateAnswer::ExistingRecord {
            state.contacts.push(contact.clone());
        }
        let id = contact_id(&contact).unwrap_or_default().to_owned();
        match &self.config.create {
            CreateAnswer::Documented
            | CreateAnswer::WithId(_)
            | CreateAnswer::IgnoresValidation => Reply::json(201, &json!({ "data": contact })),
            CreateAnswer::ExistingRecord => Reply::json(201, &json!({ "data": first })),
            CreateAnswer::RepeatedId => {
                let fields = contact.to_string();
                let inner = fields.trim_end_matches('}');
                let body = format!(r#"{{"data":{inner},"id":{}}}}}"#, json!(first_id));
                Reply::new(201, "application/json", body)
            }
            CreateAnswer::IdOnly => Reply::json(201, &json!({ "data": { "id": id } })),
            CreateAnswer::NoId => {
                contact.as_object_mut().map(|c| c.remove("id"));
                Reply::json(201, &json!({ "data": contact }))
            }
            CreateAnswer::Unreadable => {
                Reply::new(201, "application/json", "<html>created</html>".into())
            }
            CreateAnswer::ServerError => Reply::error(500, "internal_error", "Something broke"),
        }
    }

    fn list(&self, query: &str) -> Reply {
        let state = self.state();
        match super::list::answer(&state.contacts, query, self.config.list) {
            Ok(body) => Reply::json(200, &body),
            Err(message) => Reply::error(400, "validation_error", &message),
        }
    }

    fn export(&self, query: &str) -> Reply {
        let state = self.state();
        let exported = super::export::answer(&state.contacts, query, self.config.export);
        let mut reply = Reply::new(exported.status, exported.content_type, exported.body);
        reply.disposition = exported.disposition;
        reply
    }

    /// Get Contact; `include` adds the top 3 related notes, open tasks and open deals
    /// (this gateway keeps none, so each is an empty array).
    fn get(&self, id: &str, query: &str) -> Reply {
        let state = self.state();
        let Some(index) = state.index_of(id) else {
            return contact_not_found();
        };
        let mut contact = state.contacts[index].clone();
        let url = reqwest::Url::parse(&format!("http://gateway/?{query}")).expect("a query");
        let included: Vec<String> = url
            .query_pairs()
            .filter(|(name, _)| name == "include")
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        for (name, field) in [
            ("notes", "recent_notes"),
            ("tasks", "open_tasks"),
            ("deals", "open_deals"),
        ] {
            if included.iter().any(|i| i == name || i == "*") {
                contact[field] = json!([]);
            }
        }
        Reply::json(200, &json!({ "data": contact }))
    }

    /// Update Contact: the documented fields sent replace the stored ones (`company_name`
    /// is stored as `company`), `notes` is appended, names follow the name rules again.
    fn update(&self, id: &str, body: &str) -> Reply {
        let Ok(Value::Object(input)) = serde_json::from_str::<Value>(body) else {
            return Reply::error(
                400,
                "validation_error",
                "Request body must be a JSON object",
            );
        };
        if let Err(message) = check_formats(&input) {
            return Reply::error(400, "validation_error", message);
        }
        let mut state = self.state();
        let Some(index) = state.index_of(id) else {
            return contact_not_found();
        };
        let contact = &mut state.contacts[index];
        for (field, value) in input {
            let field = match field.as_str() {
                "company_name" => "company".to_owned(),
                _ => field,
            };
            match field.as_str() {
                "notes" => {
                    let old = contact["notes"].as_str().unwrap_or_default().to_owned();
                    let new = value.as_str().unwrap_or_default();
                    contact["notes"] = match old.is_empty() {
                        true => json!(new),
                        false => json!(format!("{old}\n{new}")),
                    };
                }
                "full_name" | "email" | "phone" | "job_title" | "company" | "linkedin_url" => {
                    contact[field.as_str()] = value;
                }
                _ => {}
            }
            if field == "full_name" {
                if let Some(full) = contact["full_name"].as_str().map(str::to_owned) {
                    let (first, last, full) = name_parts(&full);
                    (contact["first_name"], contact["last_name"]) = (json!(first), json!(last));
                    contact["full_name"] = json!(full);
                }
            }
        }
        contact["updated_date"] = json!(now_rfc3339());
        Reply::json(200, &json!({ "data": contact.clone() }))
    }

    fn delete(&self, id: &str, role: Role) -> Reply {
        let behaviour = self.config.behaviour;
        if let (Role::NoDelete, Behaviour::Hostile { body, .. }) = (role, behaviour) {
            return Reply::new(403, "application/json", body.to_owned());
        }
        let disguise = match behaviour {
            Behaviour::EchoKey => Some(None),
            Behaviour::EchoKeyAs(disguise) => Some(Some(disguise)),
            _ => None,
        };
        if let (Role::NoDelete, Some(disguise)) = (role, disguise) {
            let key = &self.config.no_delete_key;
            let key = &disguise.map_or_else(|| key.clone(), |d| d.apply(key));
            let body = json!({ "error": {
                "code": format!("echoed-{key}"),
                "message": format!("Bearer {key} may not delete"),
                "authorization": format!("Bearer {key}"),
            }});
            return Reply::json(403, &body);
        }
        if matches!(role, Role::NoDelete | Role::ReadOnly)
            && behaviour != Behaviour::DeleteIgnoresPermission
        {
            let code = match behaviour {
                Behaviour::WrongErrorCode => "forbidden",
                _ => "insufficient_permissions",
            };
            return Reply::error(403, code, "Missing contacts:delete permission");
        }
        let mut state = self.state();
        let Some(index) = state.index_of(id) else {
            return contact_not_found();
        };
        state.contacts.remove(index);
        deleted_reply(id, behaviour)
    }
}

/// The success answer of DELETE, with the configured deviation applied.
fn deleted_reply(id: &str, behaviour: Behaviour) -> Reply {
    let echoed = match behaviour {
        Behaviour::OtherIdEchoed => Uuid::new_v4().to_string(),
        _ => id.to_owned(),
    };
    let deleted = json!({ "deleted": behaviour != Behaviour::DeletedFalse, "id": echoed });
    let body = match behaviour {
        Behaviour::NoDataEnvelope => deleted,
        _ => json!({ "data": deleted }),
    };
    let status = match behaviour {
        Behaviour::WrongStatus => 202,
        _ => 200,
    };
    let mut reply = Reply::json(status, &body);
    match behaviour {
        Behaviour::EmptyBody => reply.body.clear(),
        Behaviour::JsonAsTextPlain => reply.content_type = "text/plain",
        Behaviour::NoContentType => reply.content_type = "",
        _ => {}
    }
    reply
}

/// Builds a contact from a create body, or says why it is invalid: the data-integrity
/// page's name rules, `created_date` at most 5 years back and 24 hours ahead, priority
/// words stored as numbers, the other documented fields as sent.
fn new_contact(body: &str) -> Result<Value, &'static str> {
    let Ok(Value::Object(input)) = serde_json::from_str::<Value>(body) else {
        return Err("Request body must be a JSON object");
    };
    check_formats(&input)?;
    let text = |name: &str| {
        let value = input.get(name).and_then(Value::as_str).map(str::trim);
        value.filter(|s| !s.is_empty()).map(str::to_owned)
    };
    let (full, email) = (text("full_name"), text("email"));
    let (mut first, mut last) = (text("first_name"), text("last_name"));
    if [&first, &last, &full, &email].iter().all(|v| v.is_none()) {
        return Err("At least one of full_name, first_name, last_name or email is required");
    }
    let priority = match input.get("priority") {
        None | Some(Value::Null) => Value::Null,
        Some(number @ Value::Number(_)) => number.clone(),
        Some(Value::String(word)) => match word.to_lowercase().as_str() {
            "high" => json!(1),
            "medium" => json!(2),
            "low" => json!(3),
            _ => return Err("priority must be high, medium, low or a number"),
        },
        Some(_) => return Err("priority must be a number"),
    };
    let now = chrono::Utc::now();
    let created = match input.get("created_date").and_then(Value::as_str) {
        None => now_rfc3339(),
        Some(at) => {
            let at = chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|_| "created_date must be an ISO 8601 date-time")?
                .with_timezone(&chrono::Utc);
            let earliest = now - chrono::Duration::days(5 * 365 + 1);
            if at < earliest || at > now + chrono::Duration::hours(24) {
                return Err("created_date must be at most 5 years back and 24 hours ahead");
            }
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        }
    };
    let full = match (&full, &first, &last) {
        (Some(name), None, None) => {
            let (f, l, full) = name_parts(name);
            (first, last) = (Some(f), l);
            Some(full)
        }
        (Some(name), _, _) => Some(name.clone()),
        (None, None, None) => {
            let (f, l, full) = email_name(email.as_deref().unwrap_or_default());
            (first, last) = (f, l);
            full
        }
        (None, _, _) => {
            let parts: Vec<&str> = [&first, &last]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            Some(parts.join(" "))
        }
    };
    let field = |name: &str| input.get(name).cloned().unwrap_or(Value::Null);
    let company = match input.get("company") {
        Some(value) => value.clone(),
        None => field("company_name"),
    };
    Ok(json!({
        "id": Uuid::new_v4().to_string(), "first_name": first, "last_name": last,
        "full_name": full, "email": email, "priority": priority,
        "phone": field("phone"), "job_title": field("job_title"), "company": company,
        "linkedin_url": field("linkedin_url"), "tags": field("tags"),
        "custom_fields": field("custom_fields"), "created_date": created,
        "updated_date": created,
    }))
}

/// Text fields must be text, and an email an address (one `@`, a dotted domain, no
/// spaces): "invalid field format" otherwise.
fn check_formats(input: &serde_json::Map<String, Value>) -> Result<(), &'static str> {
    for field in [
        "full_name",
        "first_name",
        "last_name",
        "phone",
        "job_title",
        "company",
        "company_name",
        "linkedin_url",
        "notes",
    ] {
        if input
            .get(field)
            .is_some_and(|v| !v.is_null() && !v.is_string())
        {
            return Err("a text field holds something other than text");
        }
    }
    match input.get("email") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(email)) => {
            let ok = email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.contains('@')
            }) && !email.contains(char::is_whitespace);
            ok.then_some(()).ok_or("email is not an email address")
        }
        Some(_) => Err("email is not an email address"),
    }
}

/// Rules 1 and 2 of the data-integrity page: "Last, First" is flipped, otherwise the name
/// is split on its last whitespace. Gives first, last and the full name to store.
fn name_parts(name: &str) -> (String, Option<String>, String) {
    if let Some((last, first)) = name.split_once(',') {
        let (last, first) = (last.trim(), first.trim());
        if !last.is_empty() && !first.is_empty() && !first.contains(',') {
            return (
                first.to_owned(),
                Some(last.to_owned()),
                format!("{first} {last}"),
            );
        }
    }
    let (first, last) = split_full_name(name);
    (first.unwrap_or_default(), last, name.to_owned())
}

/// Rule 4: `hans.mueller@roche.com` is Hans Mueller.
fn email_name(email: &str) -> (Option<String>, Option<String>, Option<String>) {
    let local = email.split('@').next().unwrap_or_default();
    let words: Vec<String> = local
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        })
        .collect();
    match words.as_slice() {
        [] => (None, None, None),
        [only] => (Some(only.clone()), None, Some(only.clone())),
        [first @ .., last] => {
            let first = first.join(" ");
            (
                Some(first.clone()),
                Some(last.clone()),
                Some(format!("{first} {last}")),
            )
        }
    }
}

/// Splits on the last whitespace: `"Ada King Lovelace"` → `("Ada King", "Lovelace")`.
fn split_full_name(name: &str) -> (Option<String>, Option<String>) {
    match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) => (Some(first.trim_end().to_owned()), Some(last.to_owned())),
        None => (Some(name.to_owned()), None),
    }
}

fn contact_id(contact: &Value) -> Option<&str> {
    contact.get("id").and_then(Value::as_str)
}

/// The path after [`PREFIX`], if the path is under it.
fn strip_prefix(path: &str) -> Option<&str> {
    path.strip_prefix(PREFIX).filter(|r| r.starts_with('/'))
}

/// The documented 429: `X-RateLimit-Remaining: 0`, no `Retry-After`.
fn rate_limited() -> Reply {
    Reply::error(429, "rate_limited", "Rate limit exceeded")
}

fn route_not_found() -> Reply {
    Reply::error(404, "not_found", "Route not found")
}

fn contact_not_found() -> Reply {
    Reply::error(404, "not_found", "Contact not found")
}

/// Applies the behaviours that replace the status, type or body of every response.
fn reshape(mut reply: Reply, behaviour: Behaviour) -> Reply {
    match behaviour {
        Behaviour::NonUtf8Body => {
            reply.content_type = "application/json";
            reply.body = NON_UTF8_BODY.to_vec();
        }
        Behaviour::HugeBody => {
            reply.status = 200;
            reply.content_type = "application/json";
            reply.body.clear();
            reply.spaces = HUGE_BODY;
        }
        _ => {}
    }
    reply
}

/// Writes the head, the body and any streamed spaces; `Err` once the client is gone.
async fn write_reply(
    stream: &mut (impl AsyncWrite + Unpin),
    reply: &Reply,
    config: &GatewayConfig,
) -> std::io::Result<()> {
    let mut bytes = render_head(reply, config).into_bytes();
    bytes.extend_from_slice(&reply.body);
    stream.write_all(&bytes).await?;
    write_spaces(stream, reply.spaces).await
}

/// Streams `count` spaces in [`CHUNK`]-sized writes, never holding more than one chunk.
async fn write_spaces(stream: &mut (impl AsyncWrite + Unpin), count: usize) -> std::io::Result<()> {
    let chunk = vec![b' '; count.min(CHUNK)];
    let mut left = count;
    while left > 0 {
        let n = left.min(CHUNK);
        stream.write_all(&chunk[..n]).await?;
        left -= n;
    }
    Ok(())
}

/// Serialises a reply's status line and the documented headers, blank line included.
fn render_head(reply: &Reply, config: &GatewayConfig) -> String {
    let status = reply.status;
    let mut length = reply.body.len() + reply.spaces;
    if config.behaviour == Behaviour::WrongContentLength {
        length += EXTRA_LENGTH;
    }
    // An empty content type stands for no header at all (`NoContentType`).
    let content_type = match reply.content_type {
        "" => String::new(),
        given => format!("Content-Type: {given}\r\n"),
    };
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\n{content_type}Content-Length: {length}\r\n\
         Connection: close\r\nX-RateLimit-Limit: {}\r\nX-RateLimit-Reset: {}\r\n\
         X-Request-ID: {}\r\n",
        reason(status),
        config.rate_limit,
        next_utc_midnight(),
        request_id(),
    );
    if let Some(echo) = &reply.echo {
        head += &format!("X-Echoed-Authorization: {echo}\r\n");
    }
    if let Behaviour::Hostile { note, .. } = config.behaviour {
        head += &format!("X-Note: {note}\r\n");
    }
    if let Some(disposition) = reply.disposition {
        head += &format!("Content-Disposition: {disposition}\r\n");
    }
    if let Some(seconds) = reply.retry_after {
        head += &format!("Retry-After: {seconds}\r\n");
    }
    if config.behaviour != Behaviour::MissingRateLimitHeader {
        head += &format!("X-RateLimit-Remaining: {}\r\n", reply.remaining);
    }
    head + "\r\n"
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn next_utc_midnight() -> i64 {
    const DAY: i64 = 86_400;
    (chrono::Utc::now().timestamp().div_euclid(DAY) + 1) * DAY
}

/// `req_` followed by 26 random uppercase alphanumerics.
fn request_id() -> String {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let bytes = [Uuid::new_v4().into_bytes(), Uuid::new_v4().into_bytes()].concat();
    let pick = |b: &u8| char::from(ALPHABET[usize::from(*b) % 36]);
    let suffix: String = bytes[..26].iter().map(pick).collect();
    format!("req_{suffix}")
}
