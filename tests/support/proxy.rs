//! A reverse proxy that decodes and normalises paths, as nginx does with
//! `proxy_pass http://upstream/prefix/;` (a URI in `proxy_pass`).
//!
//! It serves `http://127.0.0.1:PORT/api/…` and forwards each request to the upstream base
//! URL with the path after `/api/` percent-decoded (repeatedly, until nothing changes),
//! backslashes turned into slashes, repeated slashes merged and `.`/`..` segments
//! resolved. So an id of `x%2F..%2F<other id>` in a DELETE reaches `…/<other id>`: the
//! harness must never send one. Every forwarded path is recorded for assertions.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct DecodingProxy {
    /// `http://127.0.0.1:PORT/api`
    pub base_url: String,
    forwarded: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DecodingProxy {
    /// Proxies to `upstream`, e.g. `http://127.0.0.1:4000/functions/v1/api-gateway`.
    pub fn start(upstream: &str) -> DecodingProxy {
        let rest = upstream.strip_prefix("http://").expect("an http upstream");
        let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let (authority, prefix) = (authority.to_string(), format!("/{prefix}"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let forwarded = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, halt) = (forwarded.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (authority, prefix, log) =
                            (authority.clone(), prefix.clone(), log.clone());
                        std::thread::spawn(move || forward(client, &authority, &prefix, &log));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        DecodingProxy {
            base_url: format!("http://127.0.0.1:{port}/api"),
            forwarded,
            stop,
            thread: Some(thread),
        }
    }

    /// `METHOD /path` of every request forwarded, path as the upstream received it.
    pub fn forwarded(&self) -> Vec<String> {
        self.forwarded.lock().unwrap().clone()
    }
}

impl Drop for DecodingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The path nginx would pass on: decoded until stable, slashes merged, dots resolved.
pub fn normalise(path: &str) -> String {
    let mut decoded = path.replace('\\', "/");
    loop {
        let next = percent_decode(&decoded).replace('\\', "/");
        if next == decoded {
            break;
        }
        decoded = next;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    if decoded.ends_with('/') && out.len() > 1 {
        out.push('/');
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn forward(mut client: TcpStream, authority: &str, prefix: &str, log: &Mutex<Vec<String>>) {
    let _ = client.set_nonblocking(false);
    let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
    let Some((head, mut body)) = read_head(&mut client) else {
        return;
    };
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let Some(rest) = path.strip_prefix("/api") else {
        let _ = client
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let upstream_path = normalise(&format!("{}{}", prefix.trim_end_matches('/'), rest));
    // Characters a request line cannot carry are escaped again; `/` is not.
    let escaped: String = upstream_path
        .chars()
        .map(|c| match c {
            c if c.is_ascii_graphic() => c.to_string(),
            c => c.to_string().bytes().map(|b| format!("%{b:02X}")).collect(),
        })
        .collect();
    log.lock()
        .unwrap()
        .push(format!("{method} {upstream_path}"));
    let mut length = 0usize;
    let mut headers = String::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if name == "content-length" {
            length = line
                .split(':')
                .nth(1)
                .unwrap_or("0")
                .trim()
                .parse()
                .unwrap_or(0);
        }
        if !matches!(name.as_str(), "host" | "connection") {
            headers.push_str(line);
            headers.push_str("\r\n");
        }
    }
    while body.len() < length {
        let mut buf = [0u8; 8192];
        match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let Ok(mut upstream) = TcpStream::connect(authority) else {
        return;
    };
    let target = match query {
        Some(q) => format!("{escaped}?{q}"),
        None => escaped,
    };
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n{headers}\r\n"
    );
    if upstream
        .write_all(head.as_bytes())
        .and_then(|()| upstream.write_all(&body))
        .is_err()
    {
        return;
    }
    let mut answer = Vec::new();
    let _ = upstream.read_to_end(&mut answer);
    let _ = client.write_all(&answer);
    let _ = client.shutdown(std::net::Shutdown::Both);
}

/// The request head (without its blank line) and whatever body bytes came with it.
fn read_head(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            return Some((head, data[end + 4..].to_vec()));
        }
        match client.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn paths_are_decoded_and_resolved_like_nginx() {
        assert_eq!(
            normalise("/p/v1/contacts/x%2F..%2Fvictim"),
            "/p/v1/contacts/victim"
        );
        assert_eq!(
            normalise("/p/v1/contacts/x%252F..%252Fvictim"),
            "/p/v1/contacts/victim"
        );
        assert_eq!(normalise("/p/v1/contacts/%2E%2E"), "/p/v1");
        assert_eq!(normalise("/p/v1/contacts/a\\..\\b"), "/p/v1/contacts/b");
        assert_eq!(normalise("/p/v1/contacts/a"), "/p/v1/contacts/a");
    }
}
