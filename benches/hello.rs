//! A bare axum hello-world, the ceiling the page benchmark is compared with:
//! the same axum, tokio and release profile as `zikao serve`, one route, no
//! middleware. `scripts/bench` starts it as `hello 127.0.0.1:PORT`; run by
//! `cargo bench` without an address it only says so and exits.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() {
    let addr = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let Some(addr) = addr else {
        eprintln!("hello: give an address to serve (scripts/bench does), e.g. 127.0.0.1:18081");
        return;
    };
    let app = Router::new().route("/", get(|| async { "Hello, world!" }));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .expect("cannot listen");
    eprintln!("hello: listening on {addr}");
    axum::serve(listener, app).await.expect("serve");
}
