//! The notification listener is an exposed server: misbehaving notifiers (an endless body, a huge
//! one, a flood, a slow sender, guessed paths) against it, asserting what the inboxes keep, that the
//! owning case gets a finding that says what happened, that everything ends in bounded time, and
//! that inbox paths are unguessable. No timing or memory asserts: bounds on what the code keeps.

use std::time::Duration;

use conformance::contract::schemas;
use conformance::judging::notifications::check_delivery;
use conformance::judging::verdict::{Check, Verdict};
use conformance::running::harness::block_on;
use conformance::wire::listener::{Inbox, Limits, Listener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A listener on 127.0.0.1 with `limits`, and one inbox on it: its path, and the inbox.
async fn listener_with(limits: Limits) -> (Listener, String, std::sync::Arc<Inbox>) {
    let listener = Listener::with_limits("127.0.0.1:0".parse().expect("addr"), None, limits)
        .await
        .expect("the listener starts");
    let (url, inbox) = listener.open("a-case");
    let path = url
        .split_once(&listener.address().to_string())
        .expect("the URL names the address")
        .1
        .to_string();
    (listener, path, inbox)
}

/// Sends `head` then `body` chunks on a raw connection; returns the status line the listener
/// answered (empty when it closed without one). Stops sending when the listener stops reading.
async fn send_raw(listener: &Listener, head: String, chunks: impl Iterator<Item = Vec<u8>>, pause: Duration) -> String {
    let mut stream = TcpStream::connect(listener.address()).await.expect("connect");
    if stream.write_all(head.as_bytes()).await.is_err() {
        return String::new();
    }
    for chunk in chunks {
        if stream.write_all(&chunk).await.is_err() {
            break;
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    let mut answer = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut answer))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    String::from_utf8_lossy(&answer[..n]).lines().next().unwrap_or_default().to_string()
}

fn post_head(path: &str, extra: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer t\r\n{extra}\r\n")
}

/// The listener's refusals in `inbox`, as `check_delivery` reports them to the case that owns it.
fn findings(inbox: &Inbox) -> Vec<String> {
    let mut v = Verdict::default();
    for h in inbox.snapshot().iter().filter(|h| h.refused.is_some()) {
        check_delivery(h, schemas(), &mut v);
    }
    assert!(v.findings.iter().all(|f| f.check == Check::NotificationDelivery));
    v.findings.iter().map(|f| f.to_string()).collect()
}

#[test]
fn listener_an_endless_body_is_cut_at_the_cap_and_the_case_says_so() {
    block_on(async {
        // The size cap is what this proves, so the time a sender may take over its body is a minute:
        // beside six busy loops the default 10 s once ran out before 4 MiB were read (408, not 413).
        let limits = Limits {
            body_time: Duration::from_secs(60),
            ..Limits::default()
        };
        let (listener, path, inbox) = listener_with(limits).await;
        // A chunked body that never ends: 64 KiB chunks, far more than the 4 MiB cap.
        let chunk = {
            let data = vec![b'x'; 64 * 1024];
            let mut c = format!("{:x}\r\n", data.len()).into_bytes();
            c.extend(data);
            c.extend(b"\r\n");
            c
        };
        let status = send_raw(
            &listener,
            post_head(&path, "Transfer-Encoding: chunked\r\n"),
            std::iter::repeat_n(chunk, 400),
            Duration::ZERO,
        )
        .await;
        assert!(status.is_empty() || status.contains("413"), "{status}");
        let heard = inbox.wait_until(Duration::from_secs(10), |h| !h.is_empty()).await;
        assert_eq!(heard.len(), 1);
        assert!(heard[0].body.is_empty(), "nothing of a refused body is kept");
        assert_eq!(listener.kept_bytes(), 0);
        let f = findings(&inbox);
        assert!(
            f[0].contains("a notification of more than 4 MiB (4194304 bytes) was refused (413)"),
            "{f:?}"
        );
    });
}

#[test]
fn listener_a_huge_declared_body_is_refused_without_being_read() {
    block_on(async {
        let (listener, path, inbox) = listener_with(Limits::default()).await;
        let status = send_raw(
            &listener,
            post_head(&path, "Content-Length: 10485760\r\n"),
            std::iter::empty(),
            Duration::ZERO,
        )
        .await;
        assert!(status.contains("413"), "{status}");
        let heard = inbox.wait_until(Duration::from_secs(10), |h| !h.is_empty()).await;
        assert_eq!(heard.len(), 1);
        assert!(findings(&inbox)[0].contains("more than 4 MiB"));
    });
}

#[test]
fn listener_a_flood_keeps_at_most_the_limit_and_says_the_rest_were_refused() {
    block_on(async {
        let limits = Limits {
            per_inbox: 20,
            ..Limits::default()
        };
        let (listener, path, inbox) = listener_with(limits).await;
        let url = format!("http://{}{path}", listener.address());
        let client = conformance::wire::target::http_client(Duration::from_secs(10), None).expect("client");
        let mut statuses = Vec::new();
        for i in 0..60 {
            let r = client
                .post(&url)
                .header("content-type", "application/json")
                .body(format!("{{\"value\": [], \"n\": {i}}}"))
                .send()
                .await;
            statuses.push(r.map(|r| r.status().as_u16()).unwrap_or(0));
        }
        assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 20, "{statuses:?}");
        assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
        let heard = inbox.snapshot();
        assert_eq!(heard.len(), 21, "the limit, and one refusal saying so");
        let f = findings(&inbox);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("more than 20 notifications for one case"), "{f:?}");
    });
}

#[test]
fn listener_all_inboxes_together_keep_a_bounded_number_of_bytes() {
    block_on(async {
        let limits = Limits {
            total_bytes: 1024 * 1024,
            ..Limits::default()
        };
        let listener = Listener::with_limits("127.0.0.1:0".parse().expect("addr"), None, limits)
            .await
            .expect("listener");
        let client = conformance::wire::target::http_client(Duration::from_secs(10), None).expect("client");
        let body = format!("{{\"value\": [], \"pad\": \"{}\"}}", "p".repeat(300 * 1024));
        let mut refused = 0;
        for i in 0..6 {
            let (url, _) = listener.open(&format!("case-{i}"));
            let r = client.post(&url).body(body.clone()).send().await.expect("an answer");
            refused += usize::from(r.status().as_u16() == 507);
        }
        assert!(listener.kept_bytes() <= 1024 * 1024, "{}", listener.kept_bytes());
        assert_eq!(refused, 3, "three of 300 KiB fit in 1 MiB");
    });
}

#[test]
fn listener_a_slow_sender_is_cut_off_and_the_case_says_so() {
    block_on(async {
        let limits = Limits {
            body_time: Duration::from_millis(500),
            header_time: Duration::from_millis(500),
            ..Limits::default()
        };
        let (listener, path, inbox) = listener_with(limits).await;
        // The body promises 100 bytes and trickles one every 100 ms.
        let trickle = (0..100).map(|_| b"x".to_vec());
        let status = send_raw(
            &listener,
            post_head(&path, "Content-Length: 100\r\n"),
            trickle,
            Duration::from_millis(100),
        )
        .await;
        assert!(status.is_empty() || status.contains("408"), "{status}");
        let heard = inbox.wait_until(Duration::from_secs(10), |h| !h.is_empty()).await;
        assert_eq!(heard.len(), 1);
        let f = findings(&inbox);
        assert!(f[0].contains("took more than 500 ms to arrive and was refused (408)"), "{f:?}");
        // Headers that never finish: the connection is closed, and nothing is kept.
        let mut stream = TcpStream::connect(listener.address()).await.expect("connect");
        stream
            .write_all(format!("POST {path} HTTP/1.1\r\nHost: x\r\n").as_bytes())
            .await
            .expect("write");
        let mut buf = [0u8; 16];
        let closed = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
        assert!(
            matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
            "the listener closes a connection whose headers never end"
        );
        assert_eq!(inbox.snapshot().len(), 1);
    });
}

#[test]
fn listener_posts_to_made_up_paths_are_refused_and_counted_with_their_paths() {
    block_on(async {
        let (listener, path, inbox) = listener_with(Limits::default()).await;
        let client = conformance::wire::target::http_client(Duration::from_secs(10), None).expect("client");
        let base = format!("http://{}", listener.address());
        // Guesses: the case's label and counter without the random part, and a fixed path.
        let guessed = path.rsplit_once('-').expect("a label").0.to_string();
        for p in [guessed.as_str(), "/callbacks/1-a-case", "/api/calls", "/api/calls"] {
            let r = client.post(format!("{base}{p}")).body("{}").send().await.expect("an answer");
            assert_eq!(r.status().as_u16(), 404, "{p}");
        }
        assert!(inbox.snapshot().is_empty(), "a guess reaches no inbox");
        let strays = listener.strays();
        assert_eq!(strays.count, 4);
        assert_eq!(strays.paths.get("/api/calls"), Some(&2));
        let line = strays.describe().expect("a line");
        assert!(line.contains("refused 4 POST(s)") && line.contains("/api/calls (2)"), "{line}");
    });
}

#[test]
fn listener_inbox_paths_carry_128_random_bits_and_never_repeat_across_runs() {
    block_on(async {
        let (a, _, _) = listener_with(Limits::default()).await;
        let (b, _, _) = listener_with(Limits::default()).await;
        let (url_a, _) = a.open("call-delete");
        let (url_b, _) = b.open("call-delete");
        let key = |url: &str| url.rsplit_once("/callbacks/").expect("a callback path").1.to_string();
        let (ka, kb) = (key(&url_a), key(&url_b));
        assert!(ka.starts_with("2-call-delete-") || ka.starts_with("1-call-delete-"), "{ka}");
        let random = ka.rsplit('-').next().expect("a random part");
        assert_eq!(random.len(), 32, "{ka}");
        assert!(random.chars().all(|c| c.is_ascii_hexdigit()), "{ka}");
        assert_ne!(ka, kb, "two runs never share an inbox path");
    });
}
