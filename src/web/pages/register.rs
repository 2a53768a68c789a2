//! 考生注册: the choice, the new candidate's form, the enrolled candidate's two steps.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{Opt, OptGroup, options, render, status_of};
use crate::service::{
    App, EnrolledRegistration, FieldErrors, Lists, NewRegistration, ServiceError,
};
use crate::web::context::{CANDIDATE_COOKIE, Chrome, CsrfForm, cookie};
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "register_choice.html")]
struct ChoicePage {
    chrome: Chrome,
}

/// GET /register.
pub async fn choice(chrome: Chrome) -> Result<Response, WebError> {
    render(StatusCode::OK, &ChoicePage { chrome })
}

#[derive(askama::Template)]
#[template(path = "register_new.html")]
struct NewPage {
    chrome: Chrome,
    form: NewRegistration,
    errors: FieldErrors,
    ethnicities: Vec<Opt>,
    household: Vec<Opt>,
    education: Vec<Opt>,
    occupation: Vec<Opt>,
    politics: Vec<Opt>,
    counties: Vec<OptGroup>,
}

impl NewPage {
    fn new(
        app: &App,
        lists: &Lists,
        chrome: Chrome,
        form: NewRegistration,
        errors: FieldErrors,
    ) -> Self {
        let l = &app.province.lists;
        let counties = lists
            .open_cities()
            .iter()
            .map(|city| OptGroup {
                label: city.name.clone(),
                options: city
                    .counties
                    .iter()
                    .map(|k| Opt {
                        value: k.code.clone(),
                        label: format!("{}{}", city.name, k.name),
                        selected: k.code == form.county,
                    })
                    .collect(),
            })
            .collect();
        Self {
            ethnicities: options(&l.ethnicities, &form.ethnicity),
            household: options(&l.household, &form.household),
            education: options(&l.education, &form.education),
            occupation: options(&l.occupation, &form.occupation),
            politics: options(&l.politics, &form.politics),
            counties,
            chrome,
            form,
            errors,
        }
    }
}

/// GET /register/new.
pub async fn new_form(State(app): State<App>, chrome: Chrome) -> Result<Response, WebError> {
    let form = NewRegistration {
        ethnicity: "汉族".into(),
        ..Default::default()
    };
    render(
        StatusCode::OK,
        &NewPage::new(&app, &*app.lists().await?, chrome, form, FieldErrors::new()),
    )
}

/// POST /register/new.
pub async fn new_submit(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
    CsrfForm(mut input): CsrfForm<NewRegistration>,
) -> Result<Response, WebError> {
    // A form always sends the repetition, even when left empty.
    input.password_confirm.get_or_insert_with(String::new);

    let result = app.register_new(&input).await;

    match result {
        Ok(outcome) => {
            let issued = app.sign_in_registered(&outcome).await?;
            let jar = jar.add(cookie(&app, CANDIDATE_COOKIE, issued.token, "/"));
            Ok((jar, Redirect::to("/identity")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            input.password.clear();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPage::new(&app, &*app.lists().await?, chrome, input, errors),
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "register_enrolled.html")]
struct EnrolledPage {
    chrome: Chrome,
    /// `match` (身份证号 + 姓名) or `password`.
    step: &'static str,
    id_number: String,
    name: String,
    errors: FieldErrors,
}

/// GET /register/enrolled.
pub async fn enrolled_form(chrome: Chrome) -> Result<Response, WebError> {
    let page = EnrolledPage {
        chrome,
        step: "match",
        id_number: String::new(),
        name: String::new(),
        errors: FieldErrors::new(),
    };
    render(StatusCode::OK, &page)
}

/// The enrolled candidate's form, both steps.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnrolledForm {
    step: String,
    id_number: String,
    name: String,
    password: String,
    password_confirm: String,
}

/// POST /register/enrolled: step one checks the records, step two sets the password.
pub async fn enrolled_submit(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<EnrolledForm>,
) -> Result<Response, WebError> {
    let page = |step, errors| EnrolledPage {
        chrome: chrome.clone(),
        step,
        id_number: form.id_number.trim().to_owned(),
        name: form.name.trim().to_owned(),
        errors,
    };
    if form.step != "password" {
        return match app.match_enrolled(&form.id_number, &form.name).await {
            Ok(_) => render(StatusCode::OK, &page("password", FieldErrors::new())),
            Err(e @ ServiceError::Invalid(_)) => render(
                status_of(&e),
                &page("match", e.fields().cloned().unwrap_or_default()),
            ),
            Err(e) => Err(e.into()),
        };
    }
    let input = EnrolledRegistration {
        id_number: form.id_number.clone(),
        name: form.name.clone(),
        password: Some(form.password.clone()),
        password_confirm: Some(form.password_confirm.clone()),
    };
    let result = app.register_enrolled(&input).await;
    match result {
        Ok(outcome) => {
            let issued = app.sign_in_registered(&outcome).await?;
            let jar = jar.add(cookie(&app, CANDIDATE_COOKIE, issued.token, "/"));
            Ok((jar, Redirect::to("/identity")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            // A record problem sends the candidate back to the first step.
            let step = if errors.has("id_number") || errors.has("name") {
                "match"
            } else {
                "password"
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page(step, errors))
        }
        Err(e) => Err(e.into()),
    }
}
