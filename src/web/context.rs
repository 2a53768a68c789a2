//! Per-request context of the pages: request id, client address, page chrome,
//! CSRF tokens and cookies.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum::{Form, extract::State};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::WebError;
use crate::clock::chinese_date_with_weekday;
use crate::crypto::{random_token, same, token_hash};
use crate::service::App;

/// Cookie of a candidate's page session.
pub const CANDIDATE_COOKIE: &str = "zk_session";
/// Cookie of a staff page session (only sent to /admin).
pub const STAFF_COOKIE: &str = "zk_staff";
/// Cookie that binds the CSRF token of a visitor who has not signed in.
pub const VISITOR_COOKIE: &str = "zk_visitor";

tokio::task_local! {
    /// The id of the request being served, for error pages.
    pub static REQUEST_ID: String;
}

/// The current request id, or "-" outside a request.
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".into())
}

/// Makes the request id (set by the request-id layer) available to error pages.
pub async fn scope_request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    REQUEST_ID.scope(id, next.run(req)).await
}

/// The address a request came from (the proxy's view of it when configured).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<App> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if app.config.trust_forwarded_for {
            // The right-most entry is the one our own proxy appended.
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok());
            if let Some(ip) = forwarded {
                return Ok(Self(ip));
            }
        }
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        Ok(Self(ip))
    }
}

/// The CSRF token expected in forms of this request.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Binds a CSRF token to the session (or to a visitor cookie it sets) of every
/// page request.
pub async fn csrf_binding(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let path = req.uri().path();
    let session_cookie = if path.starts_with("/admin") {
        STAFF_COOKIE
    } else if path.starts_with("/m/") {
        super::pages::phone::PHONE_COOKIE
    } else {
        CANDIDATE_COOKIE
    };
    let mut new_visitor = None;
    let binding = match (jar.get(session_cookie), jar.get(VISITOR_COOKIE)) {
        (Some(s), _) => format!("s:{}", token_hash(s.value())),
        (None, Some(v)) => format!("v:{}", v.value()),
        (None, None) => {
            let v = random_token();
            let binding = format!("v:{v}");
            new_visitor = Some(v);
            binding
        }
    };
    req.extensions_mut()
        .insert(CsrfToken(app.keys.csrf_token(&binding)));
    let mut res = next.run(req).await;
    if let Some(v) = new_visitor {
        let cookie = cookie(&app, VISITOR_COOKIE, v, "/");
        if let Ok(value) = cookie.to_string().parse() {
            res.headers_mut()
                .append(axum::http::header::SET_COOKIE, value);
        }
    }
    res
}

/// A session-style cookie with the platform's flags.
pub fn cookie(app: &App, name: &'static str, value: String, path: &'static str) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(app.config.secure_cookies())
        .path(path)
        .build()
}

/// A cookie that removes `name`.
pub fn removal(name: &'static str, path: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path(path).build()
}

/// A form whose CSRF token was checked.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

impl<T: DeserializeOwned + Send> FromRequest<App> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let expected = req.extensions().get::<CsrfToken>().cloned();
        let Form(with) = Form::<WithCsrf<T>>::from_request(req, app)
            .await
            .map_err(|_| WebError::BadForm)?;
        match expected {
            Some(CsrfToken(e)) if same(&e, &with.csrf) => Ok(Self(with.inner)),
            _ => Err(WebError::Csrf),
        }
    }
}

/// The frame of every page: header, footer, CSRF token.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub platform: String,
    pub today: String,
    pub slogan: String,
    pub organisation: String,
    pub icp: String,
    pub csrf: String,
    pub signed_in: bool,
    pub staff: bool,
}

impl Chrome {
    /// The chrome of a request, from the app and the request's extensions.
    pub fn of(app: &App, parts: &Parts) -> Self {
        let p = &app.province.info;
        let staff = parts.uri.path().starts_with("/admin");
        let jar = CookieJar::from_headers(&parts.headers);
        let signed_in = jar
            .get(if staff {
                STAFF_COOKIE
            } else {
                CANDIDATE_COOKIE
            })
            .is_some();
        Self {
            platform: p.platform_name.clone(),
            today: chinese_date_with_weekday(app.clock.today()),
            slogan: p.slogan.clone(),
            organisation: p.organisation.clone(),
            icp: p.icp.clone(),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            signed_in,
            staff,
        }
    }
}

impl FromRequestParts<App> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(Self::of(app, parts))
    }
}
