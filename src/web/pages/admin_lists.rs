//! The province lists a province admin keeps: 转出原因, target provinces open,
//! cities and their counties. Every change reaches candidates' forms at once.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::render;
use crate::service::{App, FieldErrors, ListEdit, ListKind, Lists, ServiceError, StaffSession};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

/// One row of a list page.
struct Row {
    code: String,
    name: String,
    enabled: bool,
    /// A page below this row (a city's counties).
    link: String,
}

#[derive(askama::Template)]
#[template(path = "admin/list.html")]
struct ListPage {
    chrome: Chrome,
    title: String,
    /// The list page above this one (a city's counties → cities).
    parent: Option<(String, String)>,
    note: &'static str,
    rows: Vec<Row>,
    /// Where a row's form posts: `{base}/{code}`.
    base: String,
    renamable: bool,
    enabled_word: &'static str,
    disabled_word: &'static str,
    /// Where the add form posts; empty when entries cannot be added.
    add_action: String,
    code_label: &'static str,
    code_hint: String,
    add: EntryForm,
    /// The row whose form failed ("" for the add form).
    failed: Option<String>,
    errors: FieldErrors,
    saved: bool,
}

/// A row's or the add form's fields.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct EntryForm {
    code: String,
    name: String,
    /// `1` enabled (open), `0` disabled (closed).
    enabled: String,
}

/// Whether the page follows a save.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Saved {
    saved: String,
}

/// Which list page, built from the lists in effect.
enum Which {
    Reasons,
    Provinces,
    Cities,
    Counties(String),
}

fn page(
    app: &App,
    lists: &Lists,
    which: &Which,
    chrome: Chrome,
    failed: Option<(String, EntryForm, FieldErrors)>,
    saved: bool,
) -> Result<ListPage, WebError> {
    let row = |code: &str, name: &str, enabled: bool| Row {
        code: code.into(),
        name: name.into(),
        enabled,
        link: String::new(),
    };
    let province = &app.province.info.code;
    let mut p = ListPage {
        chrome,
        title: String::new(),
        parent: None,
        note: "",
        rows: vec![],
        base: String::new(),
        renamable: true,
        enabled_word: "启用",
        disabled_word: "停用",
        add_action: String::new(),
        code_label: "代码",
        code_hint: String::new(),
        add: EntryForm::default(),
        failed: None,
        errors: FieldErrors::new(),
        saved,
    };
    match which {
        Which::Reasons => {
            p.title = "转出原因".into();
            p.note = "停用的原因不再出现在考生的申请表中，已使用该原因的申请仍显示其名称。原因不可删除。";
            p.rows = lists
                .reasons
                .iter()
                .map(|r| row(&r.code, &r.name, r.enabled))
                .collect();
            p.base = "/admin/lists/reasons".into();
            p.add_action = p.base.clone();
            p.code_hint = "2至32位小写字母、数字或下划线，如 study_elsewhere".into();
        }
        Which::Provinces => {
            p.title = "转入省份".into();
            p.note = "关闭的省份不再出现在考生的转入省选项中，转往该省的新申请将被拒绝。";
            p.rows = lists
                .targets
                .iter()
                .map(|t| row(&t.code, &t.name, t.open))
                .collect();
            p.base = "/admin/lists/provinces".into();
            p.renamable = false;
            p.enabled_word = "受理";
            p.disabled_word = "暂停受理";
        }
        Which::Cities => {
            p.title = "地市".into();
            p.note = "停用的地市及其区县不再出现在新考生注册的报名区县中，已注册考生不受影响。";
            p.rows = lists
                .cities
                .iter()
                .map(|c| Row {
                    link: format!("/admin/lists/cities/{}", c.code),
                    ..row(&c.code, &c.name, c.enabled)
                })
                .collect();
            p.base = "/admin/lists/cities".into();
            p.add_action = p.base.clone();
            p.code_label = "地市代码";
            p.code_hint = format!("以{province}开头的4位数字");
        }
        Which::Counties(city) => {
            let c = lists.city(city).ok_or(ServiceError::NotFound)?;
            p.title = format!("{}的区县", c.name);
            p.parent = Some(("/admin/lists/cities".into(), "地市".into()));
            p.note = "停用的区县不再出现在新考生注册的报名区县中，已注册考生不受影响。新增区县时同时建立其报名点。";
            p.rows = c
                .counties
                .iter()
                .map(|k| row(&k.code, &k.name, k.enabled))
                .collect();
            p.base = "/admin/lists/counties".into();
            p.add_action = p.base.clone();
            p.code_label = "区县代码";
            p.code_hint = format!("以{}开头的6位数字", c.code);
            p.add.code = c.code.clone();
        }
    }
    if let Some((code, form, errors)) = failed {
        if code.is_empty() {
            p.add = form;
        } else if let Some(r) = p.rows.iter_mut().find(|r| r.code == code) {
            r.name = form.name;
        }
        p.failed = Some(code);
        p.errors = errors;
    }
    Ok(p)
}

async fn show(
    app: &App,
    s: &StaffSession,
    which: Which,
    chrome: Chrome,
    saved: bool,
) -> Result<Response, WebError> {
    app.require_province_admin(s)?;
    let lists = app.lists().await?;
    render(
        StatusCode::OK,
        &page(app, &lists, &which, chrome, None, saved)?,
    )
}

/// Saves an edit or an addition, then back to the list; a refused form is
/// shown again with its message.
#[allow(clippy::too_many_arguments)]
async fn save(
    app: &App,
    s: &StaffSession,
    ip: std::net::IpAddr,
    which: Which,
    kind: ListKind,
    code: Option<String>,
    form: EntryForm,
    chrome: Chrome,
    back: String,
) -> Result<Response, WebError> {
    let edit = ListEdit {
        code: code.clone().unwrap_or_else(|| form.code.clone()),
        name: form.name.clone(),
        enabled: form.enabled != "0",
    };
    let result = match code {
        Some(_) => app.edit_list_entry(s, ip, kind, &edit).await,
        None => app.add_list_entry(s, ip, kind, &edit).await,
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{back}?saved=1")).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let lists = app.lists().await?;
            let failed = (code.unwrap_or_default(), form, errors);
            let p = page(app, &lists, &which, chrome, Some(failed), false)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /admin/lists/reasons.
pub async fn reasons(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    show(&app, &s, Which::Reasons, chrome, !q.saved.is_empty()).await
}

/// POST /admin/lists/reasons: a new 转出原因.
pub async fn add_reason(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Result<Response, WebError> {
    let back = "/admin/lists/reasons".to_owned();
    save(
        &app,
        &s,
        ip,
        Which::Reasons,
        ListKind::Reason,
        None,
        form,
        chrome,
        back,
    )
    .await
}

/// POST /admin/lists/reasons/{code}: rename, disable or enable.
pub async fn edit_reason(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Result<Response, WebError> {
    let back = "/admin/lists/reasons".to_owned();
    save(
        &app,
        &s,
        ip,
        Which::Reasons,
        ListKind::Reason,
        Some(code),
        form,
        chrome,
        back,
    )
    .await
}

/// GET /admin/lists/provinces.
pub async fn provinces(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    show(&app, &s, Which::Provinces, chrome, !q.saved.is_empty()).await
}

/// POST /admin/lists/provinces/{code}: open or close a target province.
pub async fn edit_province(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Result<Response, WebError> {
    let back = "/admin/lists/provinces".to_owned();
    save(
        &app,
        &s,
        ip,
        Which::Provinces,
        ListKind::Target,
        Some(code),
        form,
        chrome,
        back,
    )
    .await
}

/// GET /admin/lists/cities.
pub async fn cities(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    show(&app, &s, Which::Cities, chrome, !q.saved.is_empty()).await
}

/// POST /admin/lists/cities: a new city.
pub async fn add_city(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Result<Response, WebError> {
    let back = "/admin/lists/cities".to_owned();
    save(
        &app,
        &s,
        ip,
        Which::Cities,
        ListKind::City,
        None,
        form,
        chrome,
        back,
    )
    .await
}

/// POST /admin/lists/cities/{code}: rename, disable or enable a city.
pub async fn edit_city(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Result<Response, WebError> {
    let back = "/admin/lists/cities".to_owned();
    save(
        &app,
        &s,
        ip,
        Which::Cities,
        ListKind::City,
        Some(code),
        form,
        chrome,
        back,
    )
    .await
}

/// GET /admin/lists/cities/{code}: the counties of a city.
pub async fn counties(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Path(city): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    show(&app, &s, Which::Counties(city), chrome, !q.saved.is_empty()).await
}

/// POST /admin/lists/counties: a new county (with its registration point).
pub async fn add_county(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Result<Response, WebError> {
    let city: String = form.code.chars().take(4).collect();
    // A code of no known city is refused on the cities page.
    let (which, back) = if app.lists().await?.city(&city).is_some() {
        let back = format!("/admin/lists/cities/{city}");
        (Which::Counties(city), back)
    } else {
        (Which::Cities, "/admin/lists/cities".to_owned())
    };
    save(
        &app,
        &s,
        ip,
        which,
        ListKind::County,
        None,
        form,
        chrome,
        back,
    )
    .await
}

/// POST /admin/lists/counties/{code}: rename, disable or enable a county.
pub async fn edit_county(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Result<Response, WebError> {
    let city: String = code.chars().take(4).collect();
    let back = format!("/admin/lists/cities/{city}");
    let which = Which::Counties(city);
    save(
        &app,
        &s,
        ip,
        which,
        ListKind::County,
        Some(code),
        form,
        chrome,
        back,
    )
    .await
}
