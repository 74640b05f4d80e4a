//! What an error's body snippet costs: a typical 1 KiB error body and a 16 MiB one (the
//! default response limit, what a hostile server can send), as JSON and as text, with no
//! exact secrets and with the three a token request carries.
//!
//! Reaches the crate-private redactor through `scimkit::__private`, which exists for benches
//! only.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scimkit::__private::snippet;

const SECRETS: &[&str] = &[
    "p@ss:w0rd/&=+ %~",
    "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln",
    "00abcdefghijklmnopqrstuvwxyz0123456789ABCD",
];

fn json_error(size: usize) -> Vec<u8> {
    let mut body = br#"{"errorCode":"E0000001","errorSummary":"Api validation failed: login","errorLink":"E0000001","errorId":"oae3nH1o2QeSY6ZUxM4bTQmvQ","errorCauses":[{"errorSummary":"login: An object with this field already exists in the current organization"}],"credentials":{"password":{"value":"hunter2-hunter2"}},"detail":""#.to_vec();
    body.resize(size - 2, b'x');
    body.extend_from_slice(br#""}"#);
    body
}

fn html_error(size: usize) -> Vec<u8> {
    let mut body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>upstream sent Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln for /token?client_secret=abc</p>".to_vec();
    while body.len() < size {
        body.extend_from_slice(
            b"<p>filler text of an error page, p@ss:w0rd/&amp;=+ %~ echoed</p>\n",
        );
    }
    body.truncate(size);
    body
}

fn snippets(c: &mut Criterion) {
    let mut group = c.benchmark_group("redact_snippet");
    for (label, size) in [("1KiB", 1024), ("16MiB", 16 * 1024 * 1024)] {
        for (kind, body) in [("json", json_error(size)), ("html", html_error(size))] {
            group.throughput(Throughput::Bytes(body.len() as u64));
            for (with, secrets) in [("keys_only", &[][..]), ("3_exact_secrets", SECRETS)] {
                group.bench_with_input(
                    BenchmarkId::new(format!("{kind}_{with}"), label),
                    &body,
                    |b, body| b.iter(|| black_box(snippet(black_box(body), secrets))),
                );
            }
        }
    }
    group.finish();
}

criterion_group!(benches, snippets);
criterion_main!(benches);
