//! The one HTTP client of a run: real HTTP and HTTPS, bounded in time and in memory.
//!
//! Both targets go through it: the stub is a real server on 127.0.0.1. Certificates are
//! always verified, against the platform's trust store plus any CA bundle named by
//! `LEADLEX_CA_BUNDLE`. A response body larger than the configured
//! limit, a timeout, a reset or a refused connection becomes a [`TransportError`] with a
//! plain message, never a panic or a hang.

use std::fmt;
use std::time::Duration;

use crate::config::Config;

/// A request ready to send.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: String,
    pub url: reqwest::Url,
    pub bearer: Option<Bearer>,
    /// The body as written, without the padding that `pad` adds when it is sent.
    pub body: Option<serde_json::Value>,
    /// Padding added to a string of the body when it is sent (`pad:` of a request).
    pub pad: Option<Padding>,
    /// The values of its path parameters and the ids it sends in its body (`ids_in_body`):
    /// the records it addresses.
    pub targets: Vec<String>,
    /// The `Accept` header: the media type of the operation's documented success
    /// (`text/csv` for an export, as its page asks), `application/json` otherwise.
    pub accept: String,
}

/// The `Accept` of a request whose operation documents no other success media type.
pub const ACCEPT_JSON: &str = "application/json";

/// The key of a request, and how reports show it.
#[derive(Clone)]
pub struct Bearer {
    pub key: String,
    /// `$LEADLEX_API_KEY` for a configured key; the key itself when it is no secret
    /// (stub keys, the deliberately invalid key).
    pub shown: String,
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bearer({})", self.shown)
    }
}

/// `count` copies of [`Pad::FILL`](crate::spec::raw::Pad::FILL) added to the end of the
/// string at the pointer `at` of the body: made only while the request is sent, so a run
/// holds one padded body at a time, and reports never see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Padding {
    pub at: String,
    pub count: usize,
}

impl HttpRequest {
    /// The body's bytes as sent, padding included.
    pub fn wire_body(&self) -> Option<Vec<u8>> {
        let body = self.body.as_ref()?;
        let Some(pad) = &self.pad else {
            return serde_json::to_vec(body).ok();
        };
        let mut padded = body.clone();
        if let Some(serde_json::Value::String(text)) = padded.pointer_mut(&pad.at) {
            let fill = crate::spec::raw::Pad::FILL;
            text.reserve_exact(pad.count);
            text.extend(std::iter::repeat_n(fill, pad.count));
        }
        serde_json::to_vec(&padded).ok()
    }

    /// The body as reports show it: the padded string, if any, ends with a note of the
    /// padding instead of the padding itself.
    pub fn shown_body(&self) -> Option<serde_json::Value> {
        let mut body = self.body.clone()?;
        if let Some(pad) = &self.pad {
            if let Some(serde_json::Value::String(text)) = body.pointer_mut(&pad.at) {
                let fill = crate::spec::raw::Pad::FILL;
                text.push_str(&format!(
                    "[… {} × '{fill}' of padding, not shown]",
                    pad.count
                ));
            }
        }
        Some(body)
    }

    /// The headers this client sends for the request, the key shown by reference.
    pub fn shown_headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("Accept".to_string(), self.accept.clone())];
        if let Some(bearer) = &self.bearer {
            headers.push(("Authorization".into(), format!("Bearer {}", bearer.shown)));
        }
        if self.body.is_some() {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        headers
    }
}

#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why no complete response came back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error(
        "no complete response within {:.1} s (raise LEADLEX_TIMEOUT_SECS if the gateway is slow)",
        .0.as_secs_f64()
    )]
    Timeout(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error(
        "the response body is larger than {0} bytes (raise LEADLEX_MAX_BODY_BYTES to read more)"
    )]
    BodyTooLarge(usize),
    #[error("{0}")]
    Other(String),
    /// Not sent: the run's limits refused it (budget spent, quota exhausted).
    #[error("not sent: {0}")]
    Refused(String),
}

/// Why the HTTP client could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("LEADLEX_CA_BUNDLE: cannot read {}: {source}", .path.display())]
    CaBundleUnreadable {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("LEADLEX_CA_BUNDLE: {} is not a PEM bundle: {reason}", .path.display())]
    CaBundleNotPem {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("LEADLEX_CA_BUNDLE: {} holds no certificate", .path.display())]
    CaBundleEmpty { path: std::path::PathBuf },
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: usize,
}

impl HttpClient {
    pub fn new(config: &Config) -> Result<HttpClient, ClientError> {
        // reqwest is built without a default crypto provider (the ring one builds much
        // faster than aws-lc); it must be installed before the first client exists.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder();
        if let Some(path) = &config.ca_bundle {
            builder = builder.tls_certs_merge(read_ca_bundle(path)?);
        }
        if config.target == crate::config::TargetConfig::Stub {
            // The stub speaks HTTP/2 without TLS too. Over HTTP/1.1 every request it keeps
            // (wiremock records each matched request) would pin a whole read buffer of
            // the connection; HTTP/2 decodes headers into small buffers of their own.
            builder = builder.http2_prior_knowledge();
            // Plain HTTP on the loopback: no certificate store to read (the platform's
            // takes most of a debug build's start-up).
            builder = builder.tls_certs_only([]);
        }
        let client = builder
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("leadlex-conformance/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClientError::Build(chain(&e)))?;
        Ok(HttpClient {
            client,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
        })
    }

    /// The configured time for one request, all its attempts together.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends with at most `limit` for the whole exchange (a retry gets what is left of the
    /// request's time). A timeout is reported against the configured total.
    pub async fn send_within(
        &self,
        request: &HttpRequest,
        limit: Duration,
    ) -> Result<HttpResponse, TransportError> {
        // reqwest's own timeout covers the body too; this outer one is a backstop so that
        // nothing (a trickling body, say) can outlive the limit by more than a moment.
        let backstop = limit + Duration::from_millis(500);
        match tokio::time::timeout(backstop, self.exchange(request, limit)).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout(self.timeout)),
        }
    }

    async fn exchange(
        &self,
        request: &HttpRequest,
        limit: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| TransportError::Other(format!("bad method {}", request.method)))?;
        let mut builder = self
            .client
            .request(method, request.url.clone())
            .timeout(limit)
            .header(reqwest::header::ACCEPT, &request.accept);
        if let Some(bearer) = &request.bearer {
            builder = builder.bearer_auth(&bearer.key);
        }
        if request.body.is_some() {
            // The padded bytes live only until the request is sent.
            let bytes = request.wire_body().unwrap_or_default();
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let mut response = builder.send().await.map_err(|e| self.classify(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(TransportError::BodyTooLarge(self.max_body_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    fn classify(&self, error: &reqwest::Error) -> TransportError {
        if error.is_timeout() {
            TransportError::Timeout(self.timeout)
        } else if error.is_connect() {
            TransportError::Connect(chain(error))
        } else {
            TransportError::Other(chain(error))
        }
    }
}

/// The certificates of a PEM bundle, or why there are none.
fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let pem = std::fs::read(path).map_err(|source| ClientError::CaBundleUnreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let certs =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ClientError::CaBundleNotPem {
            path: path.to_path_buf(),
            reason: chain(&e),
        })?;
    if certs.is_empty() {
        return Err(ClientError::CaBundleEmpty {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// An error and its causes on one line, without the URL (shown elsewhere).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(count: usize) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: reqwest::Url::parse("http://127.0.0.1/v1/import/contacts").unwrap(),
            bearer: None,
            accept: ACCEPT_JSON.into(),
            body: Some(serde_json::json!({"csv": "email\n\"é\",", "tags": ["a"]})),
            pad: Some(Padding {
                at: "/csv".into(),
                count,
            }),
            targets: Vec::new(),
        }
    }

    #[test]
    fn padding_adds_one_byte_each_and_is_never_shown() {
        let plain = serde_json::to_vec(padded(0).body.as_ref().unwrap()).unwrap();
        let request = padded(1000);
        let wire = request.wire_body().unwrap();
        assert_eq!(wire.len(), plain.len() + 1000);
        let sent: serde_json::Value = serde_json::from_slice(&wire).unwrap();
        assert!(sent["csv"].as_str().unwrap().ends_with(&"x".repeat(1000)));
        assert_eq!(sent["tags"], serde_json::json!(["a"]));
        let shown = request.shown_body().unwrap().to_string();
        assert!(!shown.contains("xxxx"), "{shown}");
        assert!(
            shown.contains("1000 × 'x' of padding, not shown"),
            "{shown}"
        );
    }
}
