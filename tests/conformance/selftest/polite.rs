//! The suite is a polite client (CONTRACT.md section 3): a target that throttles is waited out
//! within the run's budget and reported, never failed, and failed once the budget is spent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use conformance::running::embedded::Env;
use conformance::running::harness::{block_on, run_suite};
use conformance::wire::secret::Secret;
use conformance::wire::target::Target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::selftest::config;

#[test]
fn polite_a_throttling_double_is_waited_out_reported_and_passes() {
    // Arrange: every 5th request answered 429 or 503 with Retry-After: 1, and a budget for the whole
    // suite's waits (summed over cases in flight: the default 60 s ran out once the suite passed 300
    // requests).
    let env = block_on(Env::start(config(&[
        ("CONFORMANCE_DOUBLE_THROTTLE", "5"),
        ("CONFORMANCE_THROTTLE_BUDGET_MS", "600000"),
    ])))
    .expect("the double starts");
    let env = Arc::new(env);
    // Act
    let outcomes = block_on(run_suite(env.clone()));
    // Assert: nothing failed, something was throttled, and the rows it touched say so.
    let failures: Vec<&str> = outcomes.iter().filter_map(|o| o.message.as_deref()).collect();
    assert!(failures.is_empty(), "a throttled run must pass:\n{}", failures.join("\n"));
    let throttling = env.target.throttling();
    assert!(throttling.waited_out > 0 && !throttling.spent, "{throttling:?}");
    let noted = outcomes
        .iter()
        .filter(|o| o.run.verdict.infos.iter().any(|i| i.contains("429/503 with Retry-After")))
        .count();
    assert!(noted > 0, "no row notes the throttling");
    let note = throttling.describe().expect("a note for the report");
    assert!(
        note.contains("waited out") && note.contains("CONFORMANCE_THROTTLE_BUDGET_MS"),
        "{note}"
    );
}

#[test]
fn polite_throttling_past_the_budget_is_judged_as_the_answer_it_is() {
    // Arrange: no time to wait at all.
    let env = block_on(Env::start(config(&[
        ("CONFORMANCE_DOUBLE_THROTTLE", "5"),
        ("CONFORMANCE_THROTTLE_BUDGET_MS", "0"),
    ])))
    .expect("the double starts");
    let env = Arc::new(env);
    // Act
    let outcomes = block_on(run_suite(env.clone()));
    // Assert: the throttled exchanges fail, by their status, and the run says the budget ran out.
    let failed: Vec<&str> = outcomes.iter().filter_map(|o| o.message.as_deref()).collect();
    assert!(!failed.is_empty(), "a 429 past the budget must fail its case");
    assert!(
        failed.iter().any(|m| m.contains("429") || m.contains("503")),
        "the failures name the throttling status:\n{}",
        failed.join("\n")
    );
    let throttling = env.target.throttling();
    assert!(throttling.spent && throttling.waited_out == 0, "{throttling:?}");
    assert!(throttling.describe().is_some_and(|d| d.contains("budget ran out")));
}

/// A server that holds each request 100 ms and counts how many it holds at once, at most.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let loopback = "127.0.0.1:0".parse().expect("addr");
    let listener = TcpListener::from_std(conformance::wire::bind::listen(loopback).expect("bind")).expect("listener");
    let url = format!("http://{}/beta", listener.local_addr().expect("addr"));
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let seen = most.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (now, most) = (now.clone(), most.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let held = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(held, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                let body = r#"{"error":{"code":"NotFound","message":"no such call"}}"#;
                let answer = format!(
                    "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

#[test]
fn polite_requests_in_flight_never_exceed_the_bound() {
    block_on(async {
        // Arrange: a bound of 2, and ten requests at once.
        let (url, most) = counting_server().await;
        let target = Target::new(&url, None, Secret::new("t"), "app", Duration::from_secs(10))
            .expect("target")
            .polite(2, Duration::from_secs(60));
        // Act
        let sends = (0..10).map(|i| {
            let target = target.clone();
            async move {
                target
                    .send(&target.request("DELETE", &format!("/communications/calls/c{i}"), None))
                    .await
            }
        });
        let answers = futures_util::future::join_all(sends).await;
        // Assert: every one answered, never more than two held at once, and two were.
        assert!(answers.iter().all(|a| a.as_ref().is_ok_and(|o| o.status == 404)), "{answers:?}");
        assert_eq!(most.load(Ordering::SeqCst), 2, "requests held at once by the server");
    });
}
