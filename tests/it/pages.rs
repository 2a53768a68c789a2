//! The candidate's pages in a browser: page chrome and security headers, CSRF,
//! login, the personal center, both registration paths, the password change,
//! quick entries, the query center and error pages.

use reqwest::Client;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use scraper::{ElementRef, Html, Selector};

use crate::both_backends;
use crate::harness::{Backend, TestApp, csrf_of, id_number, text_of};

/// A response as a browser received it.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    async fn from(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let html = res.text().await.unwrap();
        Self {
            status,
            headers,
            html,
        }
    }

    /// The redirect target, or "" when there is none.
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// A response header as text, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// The whole `Set-Cookie` header that sets `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with(&prefix))
    }

    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        csrf_of(&self.html)
    }
}

/// GETs a page with a browser.
pub async fn get(t: &TestApp, b: &Client, path: &str) -> Page {
    Page::from(b.get(t.url(path)).send().await.unwrap()).await
}

/// POSTs a form with a browser.
pub async fn post(t: &TestApp, b: &Client, path: &str, fields: &[(&str, &str)]) -> Page {
    Page::from(b.post(t.url(path)).form(fields).send().await.unwrap()).await
}

/// The attributes of a `Set-Cookie` header, lower-cased, without the value.
pub fn cookie_attrs(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&sel(selector))
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// The text of the error message inside the `.field` that holds the control
/// named `name`; `None` when that field shows no error.
pub fn field_error(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let control = sel(&format!("[name=\"{name}\"]"));
    let field = doc
        .select(&sel(".field"))
        .find(|f| f.select(&control).next().is_some())
        .unwrap_or_else(|| panic!("no .field holds a control named {name}"));
    field
        .select(&sel(".error"))
        .next()
        .map(|e| e.text().collect::<String>().trim().to_owned())
}

/// The `value` of the input named `name`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    doc.select(&sel(&format!("input[name=\"{name}\"]")))
        .next()
        .unwrap_or_else(|| panic!("no input named {name}"))
        .value()
        .attr("value")
        .map(str::to_owned)
}

/// The values of the selected options of the select named `name`.
pub fn selected(html: &str, name: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&sel(&format!("select[name=\"{name}\"] option[selected]")))
        .map(|o| o.value().attr("value").unwrap_or("").to_owned())
        .collect()
}

/// Whether the page has an element matching `selector`.
pub fn has(html: &str, selector: &str) -> bool {
    Html::parse_document(html)
        .select(&sel(selector))
        .next()
        .is_some()
}

/// Signs a candidate in through the home page; the response to the login POST.
pub async fn sign_in(t: &TestApp, b: &Client, login: &str, password: &str) -> Page {
    let home = get(t, b, "/").await;
    assert_eq!(home.status, 200, "the home page shows the login");
    post(
        t,
        b,
        "/login",
        &[
            ("csrf", &home.csrf()),
            ("login", login),
            ("password", password),
        ],
    )
    .await
}

/// Signs the first (verified) demo candidate in; their 身份证号 and password.
async fn signed_in_verified(t: &TestApp, b: &Client) -> (String, String) {
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let pw = c.password.clone().unwrap();
    let res = sign_in(t, b, &c.id_number, &pw).await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/center"),
        "{}",
        res.html
    );
    (c.id_number.clone(), pw)
}

/// The cell beside the header cell `label` in the profile table.
fn profile_cell(html: &str, label: &str) -> String {
    let doc = Html::parse_document(html);
    let th = doc
        .select(&sel("table.profile th"))
        .find(|th| th.text().collect::<String>().trim() == label)
        .unwrap_or_else(|| panic!("profile has no {label}"));
    let td = th
        .next_siblings()
        .find_map(ElementRef::wrap)
        .expect("a cell follows the header");
    assert_eq!(td.value().name(), "td");
    td.text().collect::<String>().trim().to_owned()
}

// ---------------------------------------------------------------------------
// Chrome, headers, visitor cookie
// ---------------------------------------------------------------------------

async fn home_page_shows_the_platform_chrome_and_the_login_form(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();

    let page = get(&t, &b, "/").await;

    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    assert_eq!(
        text_of(&page.html, ".site-header .platform").as_deref(),
        Some("山西自学考试信息服务平台")
    );
    assert_eq!(
        text_of(&page.html, ".site-header .today").as_deref(),
        Some("今天是：2026年12月03日 星期四")
    );
    assert_eq!(
        text_of(&page.html, ".site-header .slogan").as_deref(),
        Some("学习改变命运，自考成就梦想！")
    );
    let footer = text_of(&page.html, "footer.site-footer").unwrap();
    assert!(
        footer.starts_with("版权所有：山西省招生考试管理中心"),
        "{footer}"
    );
    assert_eq!(text_of(&page.html, "main h1").as_deref(), Some("考生登录"));
    assert!(has(
        &page.html,
        "form[method=post][action=\"/login\"] input[name=login]"
    ));
    assert!(has(
        &page.html,
        "form[action=\"/login\"] input[name=password][type=password]"
    ));
    assert!(!page.csrf().is_empty());
    assert!(
        !has(&page.html, ".top-nav"),
        "no account menu before signing in"
    );
}

async fn pages_carry_the_security_headers(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();

    for path in [
        "/",
        "/register/new",
        "/register/enrolled",
        "/admin",
        "/no-such-page",
    ] {
        let page = get(&t, &b, path).await;

        let csp = page.header("content-security-policy");
        assert!(!csp.is_empty(), "{path}: CSP present");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(page.header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(page.header("cache-control"), "no-store", "{path}");
        assert_eq!(page.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(
            page.header("strict-transport-security"),
            "",
            "{path}: no HSTS over http"
        );
        // The CSP blocks inline scripts and style attributes, so pages have none.
        assert!(
            !has(&page.html, "script:not([src])"),
            "{path}: inline script"
        );
        assert!(
            !has(&page.html, "[style]"),
            "{path}: inline style attribute"
        );
        assert!(!has(&page.html, "style"), "{path}: inline style element");
    }
}

async fn a_first_visit_gets_one_http_only_lax_visitor_cookie(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();

    let first = get(&t, &b, "/").await;
    let second = get(&t, &b, "/").await;

    let cookie = first
        .set_cookie("zk_visitor")
        .expect("the first visit gets a visitor cookie");
    let attrs = cookie_attrs(&cookie);
    assert!(attrs.contains(&"httponly".into()), "{cookie}");
    assert!(attrs.contains(&"samesite=lax".into()), "{cookie}");
    assert!(attrs.contains(&"path=/".into()), "{cookie}");
    assert!(
        !attrs.contains(&"secure".into()),
        "{cookie}: public_url is http"
    );
    assert_eq!(
        second.set_cookie("zk_visitor"),
        None,
        "the cookie is kept, not replaced"
    );
    assert_eq!(
        first.csrf(),
        second.csrf(),
        "the form token is bound to the visitor"
    );
    assert_ne!(
        first.csrf(),
        get(&t, &t.browser(), "/").await.csrf(),
        "each visitor has their own token"
    );
}

// ---------------------------------------------------------------------------
// CSRF
// ---------------------------------------------------------------------------

async fn a_login_without_the_csrf_field_is_refused(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let b = t.browser();
    get(&t, &b, "/").await;

    let res = post(
        &t,
        &b,
        "/login",
        &[
            ("login", &c.id_number),
            ("password", c.password.as_deref().unwrap()),
        ],
    )
    .await;

    assert_eq!(res.status, 403);
    assert_eq!(text_of(&res.html, "h1").as_deref(), Some("页面已过期"));
    assert!(
        res.html
            .contains("页面已过期或来源不明，请返回上一页刷新后重新提交。")
    );
    assert_eq!(res.set_cookie("zk_session"), None, "nobody is signed in");
    assert_eq!(get(&t, &b, "/center").await.location(), "/");
}

async fn a_csrf_token_from_another_browser_is_refused(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let attacker = t.browser();
    let victim = t.browser();
    let stolen = get(&t, &attacker, "/").await.csrf();
    get(&t, &victim, "/").await;

    let res = post(
        &t,
        &victim,
        "/login",
        &[
            ("csrf", &stolen),
            ("login", &c.id_number),
            ("password", c.password.as_deref().unwrap()),
        ],
    )
    .await;

    assert_eq!(res.status, 403);
    assert_eq!(text_of(&res.html, "h1").as_deref(), Some("页面已过期"));
    assert_eq!(res.set_cookie("zk_session"), None);
}

async fn a_csrf_token_from_before_logout_is_dead_after_logout(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    let (id, pw) = signed_in_verified(&t, &b).await;
    let old = get(&t, &b, "/center").await.csrf();

    let out = post(&t, &b, "/logout", &[("csrf", &old)]).await;

    assert_eq!((out.status, out.location()), (303, "/"));
    let removal = out
        .set_cookie("zk_session")
        .expect("logout clears the session cookie");
    assert!(removal.starts_with("zk_session=;"), "{removal}");
    assert!(
        cookie_attrs(&removal).contains(&"path=/".into()),
        "{removal}"
    );
    assert_eq!(get(&t, &b, "/center").await.location(), "/", "signed out");

    let replay = post(
        &t,
        &b,
        "/login",
        &[("csrf", &old), ("login", &id), ("password", &pw)],
    )
    .await;
    assert_eq!(replay.status, 403);
    assert_eq!(text_of(&replay.html, "h1").as_deref(), Some("页面已过期"));
    let replay = post(&t, &b, "/logout", &[("csrf", &old)]).await;
    assert_eq!(replay.status, 403);
    assert_eq!(get(&t, &b, "/center").await.location(), "/");
}

// ---------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------

async fn a_wrong_password_re_renders_the_login_with_the_login_kept(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let ticket = demo.candidates[0].ticket.clone().unwrap();
    let b = t.browser();

    let res = sign_in(&t, &b, &format!(" {ticket} "), "Wrong#Pass99").await;

    assert_eq!(res.status, 401);
    assert_eq!(
        text_of(&res.html, ".alert[role=alert]").as_deref(),
        Some("身份证号/准考证号或密码错误")
    );
    assert_eq!(
        input_value(&res.html, "login").as_deref(),
        Some(ticket.as_str())
    );
    assert_eq!(
        input_value(&res.html, "password"),
        None,
        "the password is never echoed"
    );
    assert!(!res.html.contains("Wrong#Pass99"));
    assert_eq!(res.set_cookie("zk_session"), None);
    assert!(!res.csrf().is_empty(), "the form can be sent again");
}

async fn an_empty_login_names_both_fields(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();

    let res = sign_in(&t, &b, "", "").await;

    assert_eq!(res.status, 422);
    assert_eq!(
        text_of(&res.html, "#login-error").as_deref(),
        Some("请输入身份证号或准考证号")
    );
    assert_eq!(
        text_of(&res.html, "#password-error").as_deref(),
        Some("请输入密码")
    );
    assert!(has(
        &res.html,
        "input#login[aria-invalid=true][aria-describedby=login-error]"
    ));
}

async fn a_verified_candidate_lands_on_the_center_with_a_lax_http_only_cookie(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let b = t.browser();

    let res = sign_in(
        &t,
        &b,
        &c.id_number.to_lowercase(),
        c.password.as_deref().unwrap(),
    )
    .await;

    assert_eq!((res.status, res.location()), (303, "/center"));
    let cookie = res.set_cookie("zk_session").expect("a session cookie");
    let attrs = cookie_attrs(&cookie);
    assert!(attrs.contains(&"httponly".into()), "{cookie}");
    assert!(attrs.contains(&"samesite=lax".into()), "{cookie}");
    assert!(attrs.contains(&"path=/".into()), "{cookie}");
    assert!(
        !attrs.contains(&"secure".into()),
        "{cookie}: public_url is http"
    );
    assert!(
        !attrs.iter().any(|a| a.starts_with("domain=")),
        "{cookie}: host-only"
    );
    let center = get(&t, &b, "/center").await;
    assert_eq!(center.status, 200);
    assert!(
        has(&center.html, ".top-nav form[action=\"/logout\"]"),
        "the account menu shows"
    );
    assert_eq!(
        get(&t, &b, "/").await.location(),
        "/center",
        "the home page sends a signed-in candidate on"
    );
}

async fn an_awaiting_identity_candidate_lands_on_the_identity_page(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[2];
    let b = t.browser();

    let res = sign_in(&t, &b, &c.id_number, c.password.as_deref().unwrap()).await;

    assert_eq!((res.status, res.location()), (303, "/identity"));
    let identity = get(&t, &b, "/identity").await;
    assert_eq!(identity.status, 200);
    assert_eq!(
        text_of(&identity.html, ".badge").as_deref(),
        Some("待身份认证")
    );
    assert!(identity.html.contains(&c.name));
    let center = get(&t, &b, "/center").await;
    assert_eq!((center.status, center.location()), (303, "/identity"));
    assert_eq!(
        get(&t, &b, "/services/transfer").await.location(),
        "/identity"
    );
    assert_eq!(get(&t, &b, "/").await.location(), "/identity");
}

async fn cookies_are_secure_when_the_public_url_is_https(backend: Backend) {
    let Some(t) =
        TestApp::spawn_with(backend, |c| c.public_url = "https://example.cn".into()).await
    else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let b = t.browser();
    let home = get(&t, &b, "/").await;

    let res = post(
        &t,
        &b,
        "/login",
        &[
            ("csrf", &home.csrf()),
            ("login", &c.id_number),
            ("password", c.password.as_deref().unwrap()),
        ],
    )
    .await;

    assert_eq!((res.status, res.location()), (303, "/center"));
    let session = res.set_cookie("zk_session").unwrap();
    assert!(
        cookie_attrs(&session).contains(&"secure".into()),
        "{session}"
    );
    assert!(
        cookie_attrs(&session).contains(&"httponly".into()),
        "{session}"
    );
    let visitor = home.set_cookie("zk_visitor").unwrap();
    assert!(
        cookie_attrs(&visitor).contains(&"secure".into()),
        "{visitor}"
    );
    assert!(
        home.header("strict-transport-security")
            .starts_with("max-age=")
    );
}

// ---------------------------------------------------------------------------
// Personal center
// ---------------------------------------------------------------------------

async fn center_shows_the_masked_profile_and_never_the_full_numbers(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    let (id, _) = signed_in_verified(&t, &b).await;
    let phone = "13803510231";

    let page = get(&t, &b, "/center").await;

    assert_eq!(page.status, 200);
    assert_eq!(text_of(&page.html, "main h1").as_deref(), Some("个人中心"));
    assert_eq!(profile_cell(&page.html, "姓名"), "王晓明");
    assert_eq!(
        profile_cell(&page.html, "身份证号"),
        format!("{}**********{}", &id[..4], &id[14..])
    );
    assert_eq!(profile_cell(&page.html, "手机号"), "138****0231");
    assert_eq!(profile_cell(&page.html, "准考证号"), "140119100001");
    assert_eq!(profile_cell(&page.html, "性别"), "男");
    assert_eq!(profile_cell(&page.html, "民族"), "汉族");
    assert_eq!(profile_cell(&page.html, "报名区县"), "太原市小店区");
    assert!(
        !page.html.contains(&id),
        "the full 身份证号 never reaches the page"
    );
    assert!(
        !page.html.contains(&id[6..14]),
        "nor the birth date inside it"
    );
    assert!(
        !page.html.contains(phone),
        "the full 手机号 never reaches the page"
    );
    assert!(has(&page.html, "a[href=\"/password\"]"), "修改密码");
    assert_eq!(
        text_of(&page.html, ".top-nav form[action=\"/logout\"] button").as_deref(),
        Some("退出登录")
    );
}

async fn center_lists_the_five_quick_entries_with_their_windows(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    signed_in_verified(&t, &b).await;

    let page = get(&t, &b, "/center").await;

    let doc = Html::parse_document(&page.html);
    let entries: Vec<(String, String, String, Vec<String>)> = doc
        .select(&sel("ul.entries a.entry"))
        .map(|a| {
            let text = |s: &str| {
                a.select(&sel(s))
                    .map(|e| e.text().collect::<String>())
                    .collect::<Vec<_>>()
            };
            (
                a.value().attr("href").unwrap().to_owned(),
                text(".entry-name").concat(),
                text(".entry-state").concat(),
                text(".entry-time"),
            )
        })
        .collect();
    let expected = [
        (
            "/services/theory",
            "理论课报名",
            "进行中",
            "2026-11-30 10:00",
            "2026-12-17 10:00",
        ),
        (
            "/services/transfer",
            "转考申请",
            "进行中",
            "2026-12-02 10:00",
            "2027-01-02 10:00",
        ),
        (
            "/services/exemption",
            "免考申请",
            "未开始",
            "2026-12-13 10:00",
            "2026-12-23 10:00",
        ),
        (
            "/services/practical",
            "实践性环节报名",
            "已结束",
            "2026-11-03 10:00",
            "2026-11-23 10:00",
        ),
        (
            "/services/graduation",
            "毕业申请",
            "未开始",
            "2027-01-12 10:00",
            "2027-01-22 10:00",
        ),
    ];
    assert_eq!(entries.len(), expected.len(), "{entries:?}");
    for (got, (href, name, state, start, end)) in entries.iter().zip(expected) {
        assert_eq!(got.0, href);
        assert_eq!(got.1, name);
        assert_eq!(got.2, state, "{name}");
        assert_eq!(
            got.3,
            [format!("开始：{start}"), format!("结束：{end}")],
            "{name}"
        );
    }
}

async fn center_links_the_eight_query_center_items(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    signed_in_verified(&t, &b).await;

    let page = get(&t, &b, "/center").await;

    let doc = Html::parse_document(&page.html);
    let links: Vec<(String, String)> = doc
        .select(&sel("ul.queries a"))
        .map(|a| {
            (
                a.value().attr("href").unwrap().to_owned(),
                a.text().collect(),
            )
        })
        .collect();
    let names: Vec<&str> = links.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "合格成绩查询",
            "当次成绩查询",
            "报考简章",
            "专业计划查询",
            "准考证打印",
            "当次免考审核结果查询",
            "订单查询",
            "通知公告"
        ]
    );
    for (href, name) in &links {
        assert!(href.starts_with("/query/"), "{name}: {href}");
        assert_eq!(get(&t, &b, href).await.status, 200, "{name} opens");
    }
}

async fn anonymous_requests_to_candidate_pages_go_to_the_home_page(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();

    for path in [
        "/center",
        "/identity",
        "/password",
        "/services/transfer",
        "/query/plans",
    ] {
        let res = get(&t, &b, path).await;

        assert_eq!((res.status, res.location()), (303, "/"), "{path}");
    }
}

async fn a_forged_session_cookie_is_treated_as_signed_out(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.api();

    let res = b
        .get(t.url("/center"))
        .header("cookie", "zk_session=forged-token")
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/");
}

// ---------------------------------------------------------------------------
// New candidate registration
// ---------------------------------------------------------------------------

async fn new_registration_page_groups_the_counties_by_city(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();

    let page = get(&t, &b, "/register/new").await;

    assert_eq!(page.status, 200);
    let doc = Html::parse_document(&page.html);
    let groups: Vec<&str> = doc
        .select(&sel("select[name=county] optgroup"))
        .map(|g| g.value().attr("label").unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "太原市",
            "大同市",
            "阳泉市",
            "长治市",
            "晋城市",
            "朔州市",
            "晋中市",
            "运城市",
            "忻州市",
            "临汾市",
            "吕梁市"
        ]
    );
    let xiaodian = doc
        .select(&sel(
            "select[name=county] optgroup[label=\"太原市\"] option[value=\"140105\"]",
        ))
        .next()
        .expect("小店区 is under 太原市");
    assert_eq!(xiaodian.text().collect::<String>(), "太原市小店区");
    let first = doc
        .select(&sel("select[name=county] > option"))
        .next()
        .unwrap();
    assert_eq!(
        (
            first.value().attr("value"),
            first.text().collect::<String>().as_str()
        ),
        (Some(""), "请选择")
    );
    assert_eq!(
        selected(&page.html, "county"),
        Vec::<String>::new(),
        "no county is chosen for the candidate"
    );
    assert_eq!(selected(&page.html, "ethnicity"), ["汉族"]);
    assert_eq!(
        doc.select(&sel(
            "select[name=ethnicity] option[value]:not([value=\"\"])"
        ))
        .count(),
        56
    );
    for name in [
        "name",
        "id_number",
        "phone",
        "email",
        "password",
        "password_confirm",
    ] {
        assert!(
            has(&page.html, &format!("label[for={name}]")),
            "{name} has a label"
        );
    }
}

fn registration<'a>(csrf: &'a str, overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("csrf", csrf),
        ("name", "张伟"),
        ("id_number", ""),
        ("phone", "13912345678"),
        ("email", "zw@example.cn"),
        ("ethnicity", "回族"),
        ("household", "农村"),
        ("education", "大学专科"),
        ("occupation", "专业技术人员"),
        ("politics", "群众"),
        ("county", "140106"),
        ("password", "Kaoshi#2026"),
        ("password_confirm", "Kaoshi#2026"),
    ];
    for (k, v) in overrides {
        fields.iter_mut().find(|(name, _)| name == k).unwrap().1 = v;
    }
    fields
}

async fn bad_registration_fields_are_named_beside_each_field_and_nothing_is_stored(
    backend: Backend,
) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    let csrf = get(&t, &b, "/register/new").await.csrf();
    let form = registration(
        &csrf,
        &[
            ("name", "张"),
            ("id_number", "140105200001011234"),
            ("phone", "2391234567"),
            ("email", "no-at-sign"),
            ("password", "Ab1!x"),
            ("password_confirm", "Ab1!x"),
        ],
    );

    let res = post(&t, &b, "/register/new", &form).await;

    assert_eq!(res.status, 422);
    assert_eq!(
        text_of(&res.html, ".alert[role=alert]").as_deref(),
        Some("提交的信息有误，请按各项下方的提示修改。")
    );
    for (field, message) in [
        ("name", "姓名应为2至30个汉字或字母"),
        ("id_number", "身份证号校验位不正确，请核对后重新输入"),
        ("phone", "手机号应为以1开头的11位数字"),
        ("email", "电子邮箱格式不正确"),
        ("password", "密码长度应为8至64个字符"),
    ] {
        assert_eq!(
            field_error(&res.html, field),
            Some(format!("错误：{message}")),
            "{field}"
        );
        assert!(
            has(
                &res.html,
                &format!("#{field}[aria-invalid=true][aria-describedby={field}-note]")
            ),
            "{field}"
        );
    }
    for field in [
        "ethnicity",
        "household",
        "education",
        "occupation",
        "politics",
        "county",
        "password_confirm",
    ] {
        assert_eq!(field_error(&res.html, field), None, "{field} was right");
    }
    for (field, typed) in [
        ("name", "张"),
        ("id_number", "140105200001011234"),
        ("phone", "2391234567"),
        ("email", "no-at-sign"),
    ] {
        assert_eq!(
            input_value(&res.html, field).as_deref(),
            Some(typed),
            "{field} kept"
        );
    }
    for (field, chosen) in [
        ("ethnicity", "回族"),
        ("household", "农村"),
        ("education", "大学专科"),
        ("occupation", "专业技术人员"),
        ("politics", "群众"),
        ("county", "140106"),
    ] {
        assert_eq!(selected(&res.html, field), [chosen], "{field} kept");
    }
    assert_eq!(input_value(&res.html, "password").as_deref(), Some(""));
    assert_eq!(
        input_value(&res.html, "password_confirm").as_deref(),
        Some("")
    );
    assert!(!res.html.contains("Ab1!x"), "the password is never echoed");
    assert_eq!(t.app.db.count_candidates().await.unwrap(), 0);
}

async fn missing_choices_are_named_on_their_selects(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    let csrf = get(&t, &b, "/register/new").await.csrf();
    let id = id_number("14010520000101123");
    let form = registration(
        &csrf,
        &[
            ("id_number", &id),
            ("county", ""),
            ("household", "火星"),
            ("politics", ""),
        ],
    );

    let res = post(&t, &b, "/register/new", &form).await;

    assert_eq!(res.status, 422);
    assert_eq!(
        field_error(&res.html, "county").as_deref(),
        Some("错误：请选择报名区县")
    );
    assert_eq!(
        field_error(&res.html, "household").as_deref(),
        Some("错误：请选择户口性质")
    );
    assert_eq!(
        field_error(&res.html, "politics").as_deref(),
        Some("错误：请选择政治面貌")
    );
    assert!(has(&res.html, "select#county[aria-invalid=true]"));
    assert_eq!(selected(&res.html, "county"), Vec::<String>::new());
    assert_eq!(
        input_value(&res.html, "id_number").as_deref(),
        Some(id.as_str())
    );
    assert_eq!(field_error(&res.html, "id_number"), None);
    assert_eq!(t.app.db.count_candidates().await.unwrap(), 0);
}

async fn typed_markup_comes_back_as_text(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    let csrf = get(&t, &b, "/register/new").await.csrf();
    let evil = "\"><script>alert(1)</script>";

    let res = post(
        &t,
        &b,
        "/register/new",
        &registration(&csrf, &[("name", evil), ("email", evil)]),
    )
    .await;

    assert_eq!(res.status, 422);
    assert_eq!(input_value(&res.html, "name").as_deref(), Some(evil));
    assert_eq!(input_value(&res.html, "email").as_deref(), Some(evil));
    assert!(!has(&res.html, "script"), "no script element was injected");
    assert!(!res.html.contains("<script>"));
}

async fn a_mismatched_password_confirmation_is_named_on_its_field(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    let csrf = get(&t, &b, "/register/new").await.csrf();
    let id = id_number("14010520000101123");
    let form = registration(
        &csrf,
        &[("id_number", &id), ("password_confirm", "Kaoshi#2062")],
    );

    let res = post(&t, &b, "/register/new", &form).await;

    assert_eq!(res.status, 422);
    assert_eq!(
        field_error(&res.html, "password_confirm").as_deref(),
        Some("错误：两次输入的密码不一致")
    );
    assert_eq!(field_error(&res.html, "password"), None);
    assert_eq!(
        input_value(&res.html, "id_number").as_deref(),
        Some(id.as_str())
    );
    assert_eq!(input_value(&res.html, "password").as_deref(), Some(""));
    assert_eq!(
        input_value(&res.html, "password_confirm").as_deref(),
        Some("")
    );
    assert!(
        !res.html.contains("Kaoshi#20"),
        "neither password is echoed"
    );
    assert_eq!(t.app.db.count_candidates().await.unwrap(), 0);
}

async fn a_good_registration_signs_the_candidate_in_awaiting_identity(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    let csrf = get(&t, &b, "/register/new").await.csrf();
    let id = id_number("14010520000101123");

    let res = post(
        &t,
        &b,
        "/register/new",
        &registration(&csrf, &[("id_number", &id)]),
    )
    .await;

    assert_eq!(
        (res.status, res.location()),
        (303, "/identity"),
        "{}",
        res.html
    );
    let cookie = res.set_cookie("zk_session").expect("signed in");
    assert!(cookie_attrs(&cookie).contains(&"httponly".into()));
    assert_eq!(t.app.db.count_candidates().await.unwrap(), 1);
    let identity = get(&t, &b, "/identity").await;
    assert_eq!(identity.status, 200);
    assert_eq!(
        text_of(&identity.html, ".badge").as_deref(),
        Some("待身份认证")
    );
    assert!(identity.html.contains("张伟"));
    assert!(
        identity.html.contains("上传“三照”进行身份验证"),
        "a new candidate needs three photos"
    );
    assert_eq!(get(&t, &b, "/center").await.location(), "/identity");
}

// ---------------------------------------------------------------------------
// Enrolled candidate registration
// ---------------------------------------------------------------------------

async fn enrolled_step_one_with_a_wrong_name_stays_on_step_one(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let li = &demo.enrolled_without_account[0];
    let b = t.browser();
    let csrf = get(&t, &b, "/register/enrolled").await.csrf();

    let res = post(
        &t,
        &b,
        "/register/enrolled",
        &[
            ("csrf", &csrf),
            ("step", "match"),
            ("id_number", &li.id_number),
            ("name", "李明"),
        ],
    )
    .await;

    assert_eq!(res.status, 422);
    assert_eq!(
        field_error(&res.html, "id_number").as_deref(),
        Some(
            "错误：未找到与该身份证号和姓名相符的在籍考生记录，请核对；新参加自考请选择“新考生”注册"
        )
    );
    assert_eq!(input_value(&res.html, "step").as_deref(), Some("match"));
    assert_eq!(input_value(&res.html, "name").as_deref(), Some("李明"));
    assert!(
        !has(&res.html, "input[type=password]"),
        "no password step yet"
    );
    assert_eq!(
        t.app.db.count_candidates().await.unwrap(),
        demo.candidates.len() as i64
    );
}

async fn enrolled_step_one_with_the_right_name_asks_for_the_password(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let li = &demo.enrolled_without_account[0];
    let b = t.browser();
    let csrf = get(&t, &b, "/register/enrolled").await.csrf();

    let res = post(
        &t,
        &b,
        "/register/enrolled",
        &[
            ("csrf", &csrf),
            ("step", "match"),
            ("id_number", &li.id_number),
            ("name", &li.name),
        ],
    )
    .await;

    assert_eq!(res.status, 200);
    assert_eq!(input_value(&res.html, "step").as_deref(), Some("password"));
    assert!(has(&res.html, "input[name=password][type=password]"));
    assert!(has(
        &res.html,
        "input[name=password_confirm][type=password]"
    ));
    assert_eq!(
        text_of(&res.html, ".ok").as_deref(),
        Some(format!("已找到您的考籍记录：{}。请设置登录密码。", li.name).as_str())
    );
    assert_eq!(
        text_of(&res.html, "ol.progress li.current").as_deref(),
        Some("设置登录密码")
    );
    assert_eq!(
        t.app.db.count_candidates().await.unwrap(),
        demo.candidates.len() as i64,
        "nothing stored yet"
    );
}

async fn enrolled_step_two_creates_the_account_and_signs_in(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let li = &demo.enrolled_without_account[0];
    let b = t.browser();
    let csrf = get(&t, &b, "/register/enrolled").await.csrf();
    let step2 = post(
        &t,
        &b,
        "/register/enrolled",
        &[
            ("csrf", &csrf),
            ("step", "match"),
            ("id_number", &li.id_number),
            ("name", &li.name),
        ],
    )
    .await;
    let id = input_value(&step2.html, "id_number").unwrap();
    let name = input_value(&step2.html, "name").unwrap();

    let res = post(
        &t,
        &b,
        "/register/enrolled",
        &[
            ("csrf", &step2.csrf()),
            ("step", "password"),
            ("id_number", &id),
            ("name", &name),
            ("password", "Zaiji@2026"),
            ("password_confirm", "Zaiji@2026"),
        ],
    )
    .await;

    assert_eq!(
        (res.status, res.location()),
        (303, "/identity"),
        "{}",
        res.html
    );
    assert!(res.set_cookie("zk_session").is_some());
    assert_eq!(
        t.app.db.count_candidates().await.unwrap(),
        demo.candidates.len() as i64 + 1
    );
    let identity = get(&t, &b, "/identity").await;
    assert_eq!(
        text_of(&identity.html, ".badge").as_deref(),
        Some("待身份认证")
    );
    assert!(
        identity.html.contains("上传“两照”进行身份验证"),
        "an enrolled candidate needs two photos"
    );
    let other = t.browser();
    let login = sign_in(&t, &other, li.ticket.as_deref().unwrap(), "Zaiji@2026").await;
    assert_eq!(
        login.location(),
        "/identity",
        "the new password works with the 准考证号"
    );
}

async fn enrolled_step_two_with_a_weak_password_stays_on_step_two(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let li = &demo.enrolled_without_account[0];
    let b = t.browser();
    let csrf = get(&t, &b, "/register/enrolled").await.csrf();

    let res = post(
        &t,
        &b,
        "/register/enrolled",
        &[
            ("csrf", &csrf),
            ("step", "password"),
            ("id_number", &li.id_number),
            ("name", &li.name),
            ("password", "password"),
            ("password_confirm", "password"),
        ],
    )
    .await;

    assert_eq!(res.status, 422);
    assert_eq!(
        field_error(&res.html, "password").as_deref(),
        Some("错误：密码须包含大写字母、小写字母、数字、符号中的至少三类")
    );
    assert_eq!(input_value(&res.html, "step").as_deref(), Some("password"));
    assert_eq!(input_value(&res.html, "password").as_deref(), Some(""));
    assert_eq!(
        t.app.db.count_candidates().await.unwrap(),
        demo.candidates.len() as i64
    );
}

// ---------------------------------------------------------------------------
// Password change
// ---------------------------------------------------------------------------

async fn a_wrong_current_password_is_named_beside_its_field(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    signed_in_verified(&t, &b).await;
    let form = get(&t, &b, "/password").await;
    assert_eq!(form.status, 200);

    let res = post(
        &t,
        &b,
        "/password",
        &[
            ("csrf", &form.csrf()),
            ("current_password", "Nope#12345"),
            ("new_password", "Xinmima#2026"),
            ("new_password_confirm", "Xinmima#2026"),
        ],
    )
    .await;

    assert_eq!(res.status, 422);
    assert_eq!(
        field_error(&res.html, "current_password").as_deref(),
        Some("错误：当前密码不正确")
    );
    assert_eq!(field_error(&res.html, "new_password"), None);
    assert!(
        !res.html.contains("Nope#12345") && !res.html.contains("Xinmima#2026"),
        "no password is echoed"
    );
    assert!(!has(&res.html, ".ok"));
}

async fn a_changed_password_signs_out_the_other_browser(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let laptop = t.browser();
    let (id, pw) = signed_in_verified(&t, &laptop).await;
    let phone = t.browser();
    assert_eq!(sign_in(&t, &phone, &id, &pw).await.location(), "/center");
    let form = get(&t, &laptop, "/password").await;

    let res = post(
        &t,
        &laptop,
        "/password",
        &[
            ("csrf", &form.csrf()),
            ("current_password", &pw),
            ("new_password", "Xinmima#2026"),
            ("new_password_confirm", "Xinmima#2026"),
        ],
    )
    .await;

    assert_eq!(res.status, 200);
    assert_eq!(
        text_of(&res.html, ".ok[role=status]").as_deref(),
        Some("密码已修改。其他设备上的登录已全部退出。")
    );
    assert_eq!(
        get(&t, &laptop, "/center").await.status,
        200,
        "this browser stays signed in"
    );
    let other = get(&t, &phone, "/center").await;
    assert_eq!(
        (other.status, other.location()),
        (303, "/"),
        "the other browser is signed out"
    );
    assert_eq!(
        sign_in(&t, &t.browser(), &id, &pw).await.status,
        401,
        "the old password is dead"
    );
    assert_eq!(
        sign_in(&t, &t.browser(), &id, "Xinmima#2026")
            .await
            .location(),
        "/center"
    );
}

async fn a_mismatched_new_password_is_named_on_the_confirmation(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    let (id, pw) = signed_in_verified(&t, &b).await;
    let form = get(&t, &b, "/password").await;

    let res = post(
        &t,
        &b,
        "/password",
        &[
            ("csrf", &form.csrf()),
            ("current_password", &pw),
            ("new_password", "Xinmima#2026"),
            ("new_password_confirm", "Xinmima#2027"),
        ],
    )
    .await;

    assert_eq!(res.status, 422);
    assert_eq!(
        field_error(&res.html, "new_password_confirm").as_deref(),
        Some("错误：两次输入的新密码不一致")
    );
    assert_eq!(
        sign_in(&t, &t.browser(), &id, &pw).await.location(),
        "/center",
        "the password is unchanged"
    );
}

// ---------------------------------------------------------------------------
// Quick entries, query center, errors
// ---------------------------------------------------------------------------

async fn the_transfer_entry_shows_its_open_window(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    signed_in_verified(&t, &b).await;

    let page = get(&t, &b, "/services/transfer").await;

    assert_eq!(page.status, 200);
    assert_eq!(text_of(&page.html, "main h1").as_deref(), Some("转考申请"));
    let facts = texts(&page.html, "dl.facts dd");
    assert_eq!(facts, ["2026-12-02 10:00 至 2027-01-02 10:00", "进行中"]);
    assert!(has(&page.html, ".badge.status-open"));
}

async fn entries_outside_their_window_say_so_plainly(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    signed_in_verified(&t, &b).await;

    let practical = get(&t, &b, "/services/practical").await;
    let exemption = get(&t, &b, "/services/exemption").await;

    assert_eq!(practical.status, 200);
    assert_eq!(
        text_of(&practical.html, ".badge").as_deref(),
        Some("已结束")
    );
    assert_eq!(
        text_of(&practical.html, "p.alert").as_deref(),
        Some("本次办理时间已结束，不再受理申请。")
    );
    assert_eq!(
        text_of(&exemption.html, ".badge").as_deref(),
        Some("未开始")
    );
    assert_eq!(
        text_of(&exemption.html, "p.alert").as_deref(),
        Some("本项业务尚未开始办理，请在办理时间内申请。")
    );
    assert!(
        !has(&practical.html, "main form"),
        "a closed entry accepts nothing"
    );
}

async fn an_unknown_service_is_a_404_page(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    signed_in_verified(&t, &b).await;

    let page = get(&t, &b, "/services/unknown").await;

    assert_eq!(page.status, 404);
    assert_eq!(text_of(&page.html, "h1").as_deref(), Some("页面不存在"));
    assert_eq!(
        text_of(&page.html, "code").as_deref(),
        Some(page.header("x-request-id"))
    );
}

async fn a_query_item_says_plainly_that_it_is_not_built_yet(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();
    signed_in_verified(&t, &b).await;

    let page = get(&t, &b, "/query/orders").await;
    let unknown = get(&t, &b, "/query/lottery").await;

    assert_eq!(page.status, 200);
    assert_eq!(text_of(&page.html, "main h1").as_deref(), Some("订单查询"));
    assert_eq!(
        text_of(&page.html, "p.alert").as_deref(),
        Some("该查询功能正在建设中，暂无可显示的内容。")
    );
    assert_eq!(unknown.status, 404);
}

async fn an_unknown_path_gives_the_chinese_404_page_with_the_request_id(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();

    let page = get(&t, &b, "/no/such/page").await;

    assert_eq!(page.status, 404);
    assert!(page.header("content-type").starts_with("text/html"));
    assert_eq!(text_of(&page.html, "h1").as_deref(), Some("页面不存在"));
    assert!(page.html.contains("您访问的页面不存在，请返回首页。"));
    let id = page.header("x-request-id");
    assert_eq!(id.len(), 36, "a uuid: {id}");
    assert_eq!(text_of(&page.html, "code").as_deref(), Some(id));
    assert!(has(&page.html, "a[href=\"/\"]"), "a way back home");
    assert!(
        page.html.contains("今天是：2026年12月03日 星期四"),
        "in the page frame"
    );
    assert!(page.html.contains("版权所有：山西省招生考试管理中心"));
}

both_backends!(
    home_page_shows_the_platform_chrome_and_the_login_form,
    pages_carry_the_security_headers,
    a_first_visit_gets_one_http_only_lax_visitor_cookie,
    a_login_without_the_csrf_field_is_refused,
    a_csrf_token_from_another_browser_is_refused,
    a_csrf_token_from_before_logout_is_dead_after_logout,
    a_wrong_password_re_renders_the_login_with_the_login_kept,
    an_empty_login_names_both_fields,
    a_verified_candidate_lands_on_the_center_with_a_lax_http_only_cookie,
    an_awaiting_identity_candidate_lands_on_the_identity_page,
    cookies_are_secure_when_the_public_url_is_https,
    center_shows_the_masked_profile_and_never_the_full_numbers,
    center_lists_the_five_quick_entries_with_their_windows,
    center_links_the_eight_query_center_items,
    anonymous_requests_to_candidate_pages_go_to_the_home_page,
    a_forged_session_cookie_is_treated_as_signed_out,
    new_registration_page_groups_the_counties_by_city,
    bad_registration_fields_are_named_beside_each_field_and_nothing_is_stored,
    missing_choices_are_named_on_their_selects,
    typed_markup_comes_back_as_text,
    a_mismatched_password_confirmation_is_named_on_its_field,
    a_good_registration_signs_the_candidate_in_awaiting_identity,
    enrolled_step_one_with_a_wrong_name_stays_on_step_one,
    enrolled_step_one_with_the_right_name_asks_for_the_password,
    enrolled_step_two_creates_the_account_and_signs_in,
    enrolled_step_two_with_a_weak_password_stays_on_step_two,
    a_wrong_current_password_is_named_beside_its_field,
    a_changed_password_signs_out_the_other_browser,
    a_mismatched_new_password_is_named_on_the_confirmation,
    the_transfer_entry_shows_its_open_window,
    entries_outside_their_window_say_so_plainly,
    an_unknown_service_is_a_404_page,
    a_query_item_says_plainly_that_it_is_not_built_yet,
    an_unknown_path_gives_the_chinese_404_page_with_the_request_id,
);
