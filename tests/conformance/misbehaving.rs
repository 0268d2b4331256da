//! Targets that misbehave at the HTTP level, for proving the harness bounded and robust: each
//! mode answers every request the same bad way.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Accepts the connection and never answers.
    Hang,
    /// 200 labelled JSON whose body is not JSON.
    NotJson,
    /// 200 with an HTML body and Content-Type.
    Html,
    /// 200 with JSON cut off mid-object.
    TruncatedJson,
    /// 200 with a 512 KiB header.
    HugeHeader,
    /// 200 labelled JSON whose body is not UTF-8.
    InvalidUtf8,
    /// 302 to somewhere else.
    Redirect,
    /// Promises 1000 bytes, sends 20 and closes.
    ClosesMidAnswer,
    /// Streams a chunked body forever.
    Endless,
}

const LOCATION: &str = "Location: http://127.0.0.1/beta/communications/calls/any/operations/op1\r\n";

/// Starts a server misbehaving as `mode`; returns its base URL (with `/beta`).
pub async fn start(mode: Mode) -> String {
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let listener = TcpListener::from_std(conformance::wire::bind::listen(loopback).expect("bind")).expect("listener");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = answer(stream, mode).await;
            });
        }
    });
    format!("http://{addr}/beta")
}

/// Reads one whole request (head and `Content-Length` body): a server that answers after the first
/// read and closes with the body still unread makes the kernel reset the connection, and the
/// client may lose the answer it was sent, depending on how the request was split into packets.
async fn read_request(s: &mut TcpStream) -> std::io::Result<()> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return Ok(());
            }
        }
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        got.extend_from_slice(&buf[..n]);
    }
}

async fn answer(mut s: TcpStream, mode: Mode) -> std::io::Result<()> {
    read_request(&mut s).await?;
    let head = |status: &str, extra: &str, ct: &str, len: usize| {
        format!("HTTP/1.1 {status}\r\n{extra}Content-Type: {ct}\r\nContent-Length: {len}\r\n\r\n")
    };
    match mode {
        Mode::Hang => {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
        Mode::NotJson => {
            let body = "<<this is not json>>";
            s.write_all(format!("{}{body}", head("200 OK", LOCATION, "application/json", body.len())).as_bytes())
                .await?;
        }
        Mode::Html => {
            let body = "<html><body>Service Unavailable</body></html>";
            s.write_all(format!("{}{body}", head("200 OK", LOCATION, "text/html", body.len())).as_bytes())
                .await?;
        }
        Mode::TruncatedJson => {
            let body = "{\"@odata.type\": \"#microsoft.graph.updateRecordingStatusOperation\", \"status\": \"compl";
            s.write_all(format!("{}{body}", head("200 OK", LOCATION, "application/json", body.len())).as_bytes())
                .await?;
        }
        Mode::HugeHeader => {
            let huge = format!("X-Padding: {}\r\n", "a".repeat(512 * 1024));
            s.write_all(format!("{}{{}}", head("200 OK", &huge, "application/json", 2)).as_bytes())
                .await?;
        }
        Mode::InvalidUtf8 => {
            let body: &[u8] = b"{\"status\": \"\xff\xfe\xfd\"}";
            s.write_all(head("200 OK", LOCATION, "application/json", body.len()).as_bytes())
                .await?;
            s.write_all(body).await?;
        }
        Mode::Redirect => {
            s.write_all(head("302 Found", "Location: http://127.0.0.1:9/elsewhere\r\n", "text/plain", 0).as_bytes())
                .await?;
        }
        Mode::ClosesMidAnswer => {
            s.write_all(format!("{}{{\"status\": \"completed\"", head("200 OK", LOCATION, "application/json", 1000)).as_bytes())
                .await?;
        }
        Mode::Endless => {
            s.write_all(
                format!("HTTP/1.1 200 OK\r\n{LOCATION}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").as_bytes(),
            )
            .await?;
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
            loop {
                s.write_all(chunk.as_bytes()).await?;
            }
        }
    }
    s.shutdown().await
}

/// A TLS-terminating proxy in front of `upstream`, with the test CA's server certificate
/// (tests/tls/); returns its https base (no path).
pub async fn tls_proxy(upstream: std::net::SocketAddr) -> String {
    use std::sync::Arc;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .expect("server.pem")
        .collect::<Result<_, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("server.key");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let listener = TcpListener::from_std(conformance::wire::bind::listen(loopback).expect("bind")).expect("listener");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let Ok(mut plain) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    format!("https://{addr}")
}

/// A port where a TCP connection is never made: a listener with the smallest backlog that never
/// accepts, its queue filled by `held` connections, so the kernel drops further SYNs and a client's
/// connect waits (as it does for a firewalled or black-holed host). Returns the base URL and what to
/// keep alive while it is used.
pub async fn start_unconnectable() -> (String, Vec<TcpStream>, tokio::net::TcpListener) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    let listener = socket.listen(0).expect("listen");
    let addr = listener.local_addr().expect("addr");
    let mut held = Vec::new();
    // The accept queue holds backlog + 1 on Linux; a few more than that makes sure it is full.
    for _ in 0..4 {
        match tokio::time::timeout(std::time::Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => held.push(s),
            _ => break,
        }
    }
    (format!("http://{addr}/beta"), held, listener)
}
