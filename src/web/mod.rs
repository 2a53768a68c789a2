//! The web layer: pages for browsers (cookies, CSRF, no script needed), the
//! JSON API under /api, static files, health checks, and the middleware every
//! request passes through.

pub mod auth;
pub mod context;
pub mod error;
pub mod pages;
pub mod upload;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::service::App;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The whole application: pages, API, static files, with every middleware.
pub fn router(app: App) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home::show))
        .route("/login", post(pages::home::login))
        .route("/logout", post(pages::home::logout))
        .route("/register", get(pages::register::choice))
        .route(
            "/register/new",
            get(pages::register::new_form).post(pages::register::new_submit),
        )
        .route(
            "/register/enrolled",
            get(pages::register::enrolled_form).post(pages::register::enrolled_submit),
        )
        .route("/center", get(pages::center::center))
        .route(
            "/password",
            get(pages::center::password_form).post(pages::center::password_submit),
        )
        .route("/services/{kind}", get(pages::center::service))
        .route("/me/data-export", get(pages::center::data_export))
        .route("/query/{item}", get(pages::center::query))
        .route(
            "/query/admission-ticket.pdf",
            get(pages::query::admission_ticket_pdf),
        )
        .merge(pages::import::routes())
        .route("/verify/{id}/{hash}", get(pages::verify::show))
        .route("/admin", get(pages::admin::login_form))
        .route("/admin/login", post(pages::admin::login))
        .route("/admin/logout", post(pages::admin::logout))
        .route(
            "/admin/totp",
            get(pages::admin::totp_form).post(pages::admin::totp_submit),
        )
        .route("/admin/home", get(pages::admin::home))
        .route(
            "/admin/staff",
            get(pages::admin::staff).post(pages::admin::staff_create),
        )
        .merge(admin_routes())
        .merge(transfer_routes())
        .merge(pages::identity::routes())
        .merge(pages::identity_review::routes())
        .merge(pages::recovery::routes())
        .merge(pages::phone::routes())
        .merge(pages::audit::routes())
        .merge(pages::exports::routes())
        .fallback(error::not_found)
        .layer(from_fn_with_state(app.clone(), error::frame_error_pages))
        .layer(from_fn_with_state(app.clone(), context::csrf_binding));

    let secure = app.config.secure_cookies();
    let mut router = Router::new()
        .merge(pages)
        .nest("/api", crate::api::router())
        .route("/static/{file}", get(static_file))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(from_fn_with_state(app.clone(), bound_uploads))
        .layer(from_fn_with_state(app.clone(), record_metrics))
        .layer(from_fn(context::scope_request_id))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|m| m.as_str().to_owned())
                        .unwrap_or_else(|| "(unmatched)".into());
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), route, request_id = id)
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _span: &Span| {
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = latency.as_secs_f64() * 1000.0,
                        "served"
                    );
                })
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    let headers: [(HeaderName, &'static str); 7] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("permissions-policy"),
            "geolocation=(), microphone=()",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if secure {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    router.with_state(app)
}

/// The province admin's pages (staff accounts, windows, lists, registration
/// points, contacts, announcements) and the public announcement pages.
fn admin_routes() -> Router<App> {
    use pages::{admin_lists, admin_points, admin_staff, admin_windows, announcements};
    Router::new()
        .route("/admin/staff/{id}", get(admin_staff::show))
        .route("/admin/staff/{id}/scope", post(admin_staff::scope))
        .route("/admin/staff/{id}/disable", post(admin_staff::disable))
        .route("/admin/staff/{id}/enable", post(admin_staff::enable))
        .route(
            "/admin/staff/{id}/reset-totp",
            post(admin_staff::reset_totp),
        )
        .route("/admin/windows", get(admin_windows::show))
        .route("/admin/windows/{kind}", post(admin_windows::save))
        .route(
            "/admin/lists/reasons",
            get(admin_lists::reasons).post(admin_lists::add_reason),
        )
        .route(
            "/admin/lists/reasons/{code}",
            post(admin_lists::edit_reason),
        )
        .route("/admin/lists/provinces", get(admin_lists::provinces))
        .route(
            "/admin/lists/provinces/{code}",
            post(admin_lists::edit_province),
        )
        .route(
            "/admin/lists/cities",
            get(admin_lists::cities).post(admin_lists::add_city),
        )
        .route(
            "/admin/lists/cities/{code}",
            get(admin_lists::counties).post(admin_lists::edit_city),
        )
        .route("/admin/lists/counties", post(admin_lists::add_county))
        .route(
            "/admin/lists/counties/{code}",
            post(admin_lists::edit_county),
        )
        .route("/admin/points", get(admin_points::list))
        .route(
            "/admin/points/new",
            get(admin_points::new_form).post(admin_points::create),
        )
        .route(
            "/admin/points/{id}",
            get(admin_points::edit_form).post(admin_points::update),
        )
        .route("/admin/contacts", get(admin_points::contacts))
        .route("/admin/contacts/{city}", post(admin_points::save_contact))
        .route("/admin/announcements", get(announcements::admin_list))
        .route(
            "/admin/announcements/new",
            get(announcements::new_form).post(announcements::create),
        )
        .route(
            "/admin/announcements/{id}",
            get(announcements::edit_form).post(announcements::update),
        )
        .route(
            "/admin/announcements/{id}/unpublish",
            post(announcements::unpublish),
        )
        .route("/query/notices", get(announcements::notices))
        .route("/query/notices/{id}", get(announcements::notice))
        .route("/query/guide", get(announcements::guide))
}

/// 省际转出: the candidate's pages, 联系方式, and the city office's review.
fn transfer_routes() -> Router<App> {
    use pages::{confirm, contacts, materials, review, transfer};
    let upload = || DefaultBodyLimit::max(materials::UPLOAD_LIMIT);
    Router::new()
        .route("/transfer", get(transfer::entry))
        .route(
            "/transfer/new",
            get(transfer::new_form).post(transfer::create),
        )
        .route("/transfer/{id}", get(transfer::details))
        .route(
            "/transfer/{id}/edit",
            get(transfer::edit_form).post(transfer::update),
        )
        .route("/transfer/{id}/reopen", post(transfer::reopen))
        .route("/transfer/{id}/materials", get(materials::show))
        .route(
            "/transfer/{id}/materials/{kind}",
            post(materials::upload).layer(upload()),
        )
        .route(
            "/transfer/{id}/materials/{image_id}/delete",
            post(materials::delete),
        )
        .route("/transfer/{id}/submit", post(materials::submit))
        .route(
            "/transfer/{id}/confirm",
            get(confirm::show).post(confirm::confirm),
        )
        .route(
            "/transfer/{id}/target-specialty",
            post(confirm::target_specialty),
        )
        .route(
            "/transfer/{id}/confirmation-photos/{kind}",
            post(confirm::photo).layer(upload()),
        )
        .route("/transfer/{id}/files/{file_id}", get(transfer::image))
        .route("/transfer/{id}/form.pdf", get(transfer::form_pdf))
        .route("/contacts", get(contacts::show))
        .route(
            "/admin/records",
            get(pages::records::search_form).post(pages::records::search),
        )
        .route(
            "/admin/records/{id}",
            get(pages::records::show).post(pages::records::correct),
        )
        .route("/admin/transfers", get(review::queue))
        .route("/admin/transfers/{id}", get(review::show))
        .route("/admin/transfers/{id}/decision", post(review::decide))
        .route("/admin/transfers/{id}/files/{file_id}", get(review::image))
        .route("/admin/transfers/{id}/form.pdf", get(review::form_pdf))
}

/// Lets at most [`crate::service::UPLOADS_AT_ONCE`] photo uploads (JPEG bodies
/// and multipart forms) be read at a time; the others wait before their body is read.
async fn bound_uploads(
    State(app): State<App>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let upload = kind.starts_with("image/") || kind.starts_with("multipart/form-data");
    if !upload {
        return next.run(req).await;
    }
    let _permit = app.upload_permits.acquire().await;
    next.run(req).await
}

/// Counts each request by method, route pattern and status, with its latency
/// to the response head. A path no route matches counts as `(unmatched)`, so a
/// scan of random paths cannot grow the metrics without bound.
async fn record_metrics(
    State(app): State<App>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let res = next.run(req).await;
    app.metrics.request(
        method.as_str(),
        route.as_deref().unwrap_or("(unmatched)"),
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}

/// `/metrics` in the Prometheus text format. With `metrics_token` set, only to
/// a request bearing it; otherwise only to a client on this machine that came
/// through no proxy (no forwarding header), so a reverse proxy in front never
/// exposes it by accident.
async fn metrics(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    let token = app
        .config
        .metrics_token
        .as_ref()
        .filter(|t| !t.expose().is_empty());
    let allowed = match token {
        Some(token) => {
            use subtle::ConstantTimeEq;
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            bool::from(given.as_bytes().ct_eq(token.expose().as_bytes()))
        }
        None => {
            peer.ip().is_loopback()
                && !headers.contains_key("x-forwarded-for")
                && !headers.contains_key(header::FORWARDED)
        }
    };
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    match app.db.review_queue_lengths().await {
        Ok((transfers, identity)) => app.metrics.set_queues(transfers, identity),
        Err(e) => tracing::warn!(error = %e, "review queue lengths not read"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.encode(),
    )
        .into_response()
}

/// The stylesheet and images, built into the binary.
async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, kind): (&'static [u8], &str) = match file.as_str() {
        "app.css" => (
            include_bytes!("../../static/app.css"),
            "text/css; charset=utf-8",
        ),
        "emblem.svg" => (include_bytes!("../../static/emblem.svg"), "image/svg+xml"),
        "preview.js" => (
            include_bytes!("../../static/preview.js"),
            "text/javascript; charset=utf-8",
        ),
        "upload.js" => (
            include_bytes!("../../static/upload.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Ready when the database answers.
async fn readyz(State(app): State<App>) -> Response {
    match app.db.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "5")],
                "数据库暂不可用",
            )
                .into_response()
        }
    }
}
