//! The staff back office: login with the second factor, enrolment, home, staff accounts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::home::Empty;
use super::{LoginRefusal, Opt, OptGroup, render};
use crate::domain::Role;
use crate::service::{
    App, FieldErrors, NewStaff, ServiceError, StaffLogin, StaffLoginOutcome, StaffView,
};
use crate::web::auth::{EnrollingStaff, Staff};
use crate::web::context::{
    Chrome, ClientIp, CsrfForm, STAFF_COOKIE, VISITOR_COOKIE, cookie, removal,
};
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    message: String,
    errors: FieldErrors,
}

/// GET /admin.
pub async fn login_form(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
) -> Result<Response, WebError> {
    if let Some(c) = jar.get(STAFF_COOKIE)
        && let Some(s) = app.staff_session(c.value()).await?
    {
        let to = if s.enrolling {
            "/admin/totp"
        } else {
            "/admin/home"
        };
        return Ok(Redirect::to(to).into_response());
    }
    let page = LoginPage {
        chrome,
        username: String::new(),
        message: String::new(),
        errors: FieldErrors::new(),
    };
    render(StatusCode::OK, &page)
}

/// The staff login form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    totp: String,
}

/// POST /admin/login.
pub async fn login(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    let input = StaffLogin {
        username: form.username.clone(),
        password: form.password,
        totp: Some(form.totp).filter(|t| !t.trim().is_empty()),
    };
    match app.login_staff(&input, ip).await {
        Ok(StaffLoginOutcome::SignedIn(issued)) => {
            let jar = jar.add(cookie(&app, STAFF_COOKIE, issued.token, "/admin"));
            Ok((jar, Redirect::to("/admin/home")).into_response())
        }
        Ok(StaffLoginOutcome::MustEnrol(issued)) => {
            let jar = jar.add(cookie(&app, STAFF_COOKIE, issued.token, "/admin"));
            Ok((jar, Redirect::to("/admin/totp")).into_response())
        }
        Err(e) => {
            let refusal = LoginRefusal::of(e)?;
            let page = LoginPage {
                chrome,
                username: form.username.trim().to_owned(),
                message: refusal.message.clone(),
                errors: refusal.errors.clone(),
            };
            refusal.render(&page)
        }
    }
}

/// POST /admin/logout.
pub async fn logout(
    State(app): State<App>,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<impl IntoResponse, WebError> {
    if let Some(c) = jar.get(STAFF_COOKIE) {
        app.end_session(c.value()).await?;
    }
    let jar = jar.remove(removal(STAFF_COOKIE, "/admin")).add(cookie(
        &app,
        VISITOR_COOKIE,
        crate::crypto::random_token(),
        "/",
    ));
    Ok((jar, Redirect::to("/admin")))
}

#[derive(askama::Template)]
#[template(path = "admin/totp.html")]
struct TotpPage {
    chrome: Chrome,
    qr_svg: String,
    secret: String,
    sealed: String,
    errors: FieldErrors,
}

fn totp_page(
    app: &App,
    chrome: Chrome,
    session: &crate::service::StaffSession,
    sealed: Option<&str>,
    errors: FieldErrors,
) -> Result<TotpPage, WebError> {
    let e = app.begin_totp_enrolment(session, sealed)?;
    let qr = qrcode::QrCode::new(e.otpauth_url.as_bytes())
        .map_err(|err| ServiceError::Internal(anyhow::anyhow!("qr: {err}")))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(TotpPage {
        chrome,
        qr_svg,
        secret: e.secret_base32,
        sealed: e.sealed,
        errors,
    })
}

/// GET /admin/totp: bind the authenticator app.
pub async fn totp_form(
    State(app): State<App>,
    chrome: Chrome,
    EnrollingStaff(session): EnrollingStaff,
) -> Result<Response, WebError> {
    render(
        StatusCode::OK,
        &totp_page(&app, chrome, &session, None, FieldErrors::new())?,
    )
}

/// The enrolment form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TotpForm {
    sealed: String,
    totp: String,
}

/// POST /admin/totp.
pub async fn totp_submit(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
    EnrollingStaff(session): EnrollingStaff,
    CsrfForm(form): CsrfForm<TotpForm>,
) -> Result<Response, WebError> {
    match app
        .finish_totp_enrolment(&session, &form.sealed, &form.totp)
        .await
    {
        Ok(issued) => {
            let jar = jar.add(cookie(&app, STAFF_COOKIE, issued.token, "/admin"));
            Ok((jar, Redirect::to("/admin/home")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &totp_page(&app, chrome, &session, Some(&form.sealed), errors)?,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    chrome: Chrome,
    display_name: String,
    role_label: String,
    scope_label: String,
    is_admin: bool,
    /// City offices and province admins review transfer-out applications.
    reviews: bool,
    /// Registration points and province admins review identities.
    identity_reviews: bool,
    /// City offices keep their own contacts; province admins every city's.
    contacts: bool,
}

/// GET /admin/home.
pub async fn home(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
) -> Result<Response, WebError> {
    let page = HomePage {
        chrome,
        display_name: s.staff.display_name.clone(),
        role_label: s.role.label().into(),
        scope_label: app.scope_label(&s.scope),
        is_admin: s.role == Role::ProvinceAdmin,
        reviews: matches!(s.role, Role::ProvinceAdmin | Role::CityOffice),
        identity_reviews: matches!(s.role, Role::ProvinceAdmin | Role::RegistrationPoint),
        contacts: matches!(s.role, Role::ProvinceAdmin | Role::CityOffice),
    };
    render(StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    chrome: Chrome,
    staff: Vec<StaffView>,
    form: NewStaffForm,
    roles: Vec<Opt>,
    cities: Vec<Opt>,
    points: Vec<OptGroup>,
    errors: FieldErrors,
    created: bool,
}

/// The new staff account form.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewStaffForm {
    username: String,
    display_name: String,
    password: String,
    role: String,
    city: String,
    point: String,
}

/// The role, city and registration point choices of a staff form.
pub struct ScopeOptions {
    pub roles: Vec<Opt>,
    pub cities: Vec<Opt>,
    pub points: Vec<OptGroup>,
}

/// The choices of a staff form from the lists in effect, with the given ones selected.
pub async fn scope_options(
    app: &App,
    role: &str,
    city: &str,
    point: &str,
) -> Result<ScopeOptions, WebError> {
    let roles = Role::ALL
        .iter()
        .map(|r| Opt {
            value: r.as_str().into(),
            label: r.label().into(),
            selected: r.as_str() == role,
        })
        .collect();
    let cities = app
        .lists()
        .await?
        .open_cities()
        .into_iter()
        .map(|c| Opt {
            selected: c.code == city,
            value: c.code,
            label: c.name,
        })
        .collect();
    let points = app
        .registration_points()
        .await?
        .into_iter()
        .map(|c| OptGroup {
            label: c.city,
            options: c
                .points
                .into_iter()
                .map(|p| Opt {
                    selected: p.id == point,
                    value: p.id,
                    label: p.name,
                })
                .collect(),
        })
        .collect();
    Ok(ScopeOptions {
        roles,
        cities,
        points,
    })
}

async fn staff_page(
    app: &App,
    chrome: Chrome,
    actor: &crate::service::StaffSession,
    form: NewStaffForm,
    errors: FieldErrors,
    created: bool,
) -> Result<StaffPage, WebError> {
    let staff = app.staff_list(actor).await?;
    let ScopeOptions {
        roles,
        cities,
        points,
    } = scope_options(app, &form.role, &form.city, &form.point).await?;
    Ok(StaffPage {
        chrome,
        staff,
        form,
        roles,
        cities,
        points,
        errors,
        created,
    })
}

/// GET /admin/staff.
pub async fn staff(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
) -> Result<Response, WebError> {
    let page = staff_page(
        &app,
        chrome,
        &s,
        NewStaffForm::default(),
        FieldErrors::new(),
        false,
    )
    .await?;
    render(StatusCode::OK, &page)
}

/// POST /admin/staff: create an account.
pub async fn staff_create(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    CsrfForm(form): CsrfForm<NewStaffForm>,
) -> Result<Response, WebError> {
    app.require_province_admin(&s)?;
    let input = NewStaff {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        role: form.role.clone(),
        city: Some(form.city.clone()),
        point: Some(form.point.clone()),
    };
    match app.create_staff(&input, Some((&s, ip))).await {
        Ok(_) => {
            let page = staff_page(
                &app,
                chrome,
                &s,
                NewStaffForm::default(),
                FieldErrors::new(),
                true,
            )
            .await?;
            render(StatusCode::OK, &page)
        }
        Err(ServiceError::Invalid(errors)) => {
            let mut form = form;
            form.password.clear();
            let page = staff_page(&app, chrome, &s, form, errors, false).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
