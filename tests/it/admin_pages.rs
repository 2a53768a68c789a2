//! The staff back office in a browser: login with the second factor, the staff
//! cookie, scopes, staff accounts and binding an authenticator app.

use reqwest::Client;
use scraper::{Html, Selector};
use serde_json::json;
use zikao::service::demo::{DemoAccounts, DemoStaff};

use crate::both_backends;
use crate::harness::{Backend, TestApp, text_of};
use crate::pages::{Page, cookie_attrs, field_error, get, has, input_value, post, selected};

/// The code an authenticator app shows for a base32 secret at the app's "now",
/// shifted by `steps` periods of 30 seconds.
fn totp_code(t: &TestApp, secret: &str, steps: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    let now = zikao::clock::Clock::now(&*t.clock).timestamp() + steps * 30;
    totp.generate(now as u64)
}

/// A six-digit code that none of the accepted steps (one either side) produce.
fn wrong_code(t: &TestApp, secret: &str) -> String {
    let accepted = [-1, 0, 1].map(|s| totp_code(t, secret, s));
    (0..)
        .map(|n: u32| format!("{:06}", (n * 137_911) % 1_000_000))
        .find(|c| !accepted.contains(c))
        .unwrap()
}

fn staff<'a>(demo: &'a DemoAccounts, role: &str) -> &'a DemoStaff {
    demo.staff.iter().find(|s| s.role == role).unwrap()
}

/// Posts the staff login form from /admin.
async fn staff_login(t: &TestApp, b: &Client, username: &str, password: &str, totp: &str) -> Page {
    let form = get(t, b, "/admin").await;
    assert_eq!(form.status, 200, "the login form shows");
    post(
        t,
        b,
        "/admin/login",
        &[
            ("csrf", &form.csrf()),
            ("username", username),
            ("password", password),
            ("totp", totp),
        ],
    )
    .await
}

/// Signs the demo province admin in with a fresh code.
async fn admin_signed_in(t: &TestApp, b: &Client, demo: &DemoAccounts) {
    let admin = staff(demo, "province_admin");
    let code = totp_code(t, admin.totp_secret.as_deref().unwrap(), 0);
    let res = staff_login(t, b, &admin.username, &admin.password, &code).await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/admin/home"),
        "{}",
        res.html
    );
}

/// Posts the new staff account form.
async fn create_staff(t: &TestApp, b: &Client, fields: &[(&str, &str)]) -> Page {
    let page = get(t, b, "/admin/staff").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    post(t, b, "/admin/staff", &form).await
}

/// The usernames in the staff table.
fn listed_usernames(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("table.list tbody tr td:first-child").unwrap();
    doc.select(&sel).map(|e| e.text().collect()).collect()
}

async fn admin_login_page_shows_the_staff_form(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let b = t.browser();

    let page = get(&t, &b, "/admin").await;

    assert_eq!(page.status, 200);
    assert_eq!(
        text_of(&page.html, "main h1").as_deref(),
        Some("工作人员登录")
    );
    assert!(has(
        &page.html,
        "form[method=post][action=\"/admin/login\"]"
    ));
    assert!(has(&page.html, "input[name=username]"));
    assert!(has(&page.html, "input[name=password][type=password]"));
    assert!(has(
        &page.html,
        "input[name=totp][autocomplete=one-time-code]"
    ));
    assert!(!page.csrf().is_empty());
    assert_eq!(
        text_of(&page.html, ".site-header .today").as_deref(),
        Some("今天是：2026年12月03日 星期四")
    );
}

async fn a_city_office_lands_on_its_home_with_an_admin_only_cookie(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let city = staff(&demo, "city_office");
    let b = t.browser();

    let res = staff_login(&t, &b, &city.username, &city.password, "").await;

    assert_eq!(
        (res.status, res.location()),
        (303, "/admin/home"),
        "{}",
        res.html
    );
    let cookie = res.set_cookie("zk_staff").expect("a staff cookie");
    let attrs = cookie_attrs(&cookie);
    assert!(attrs.contains(&"path=/admin".into()), "{cookie}");
    assert!(attrs.contains(&"httponly".into()), "{cookie}");
    assert!(attrs.contains(&"samesite=lax".into()), "{cookie}");
    assert_eq!(res.set_cookie("zk_session"), None, "no candidate session");
    let home = get(&t, &b, "/admin/home").await;
    assert_eq!(home.status, 200);
    let greeting = text_of(&home.html, "main .card p").unwrap();
    assert_eq!(
        greeting,
        "太原市自考办，您好。角色：地市自考办；管辖范围：太原市。"
    );
    assert!(
        !has(&home.html, "a[href=\"/admin/staff\"]"),
        "no staff accounts menu for a city office"
    );
    assert!(has(&home.html, ".top-nav form[action=\"/admin/logout\"]"));
    assert_eq!(
        get(&t, &b, "/admin").await.location(),
        "/admin/home",
        "the login form sends them on"
    );
    assert_eq!(
        get(&t, &b, "/center").await.location(),
        "/",
        "a staff login is not a candidate's"
    );
}

async fn a_city_office_cannot_open_or_post_the_staff_accounts(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let city = staff(&demo, "city_office");
    let b = t.browser();
    staff_login(&t, &b, &city.username, &city.password, "").await;
    let csrf = get(&t, &b, "/admin/home").await.csrf();

    let page = get(&t, &b, "/admin/staff").await;
    let posted = post(
        &t,
        &b,
        "/admin/staff",
        &[
            ("csrf", &csrf),
            ("username", "sneaky"),
            ("password", "Zhanghao#2026"),
            ("role", "province_admin"),
        ],
    )
    .await;

    assert_eq!(page.status, 403);
    assert_eq!(text_of(&page.html, "h1").as_deref(), Some("无权访问"));
    assert!(page.html.contains("仅省招考中心管理员可以办理此项"));
    assert_eq!(posted.status, 403);
    assert_eq!(
        t.app.db.count_staff().await.unwrap(),
        demo.staff.len() as i64
    );
}

async fn a_wrong_staff_password_re_renders_the_login(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let city = staff(&demo, "city_office");
    let b = t.browser();

    let res = staff_login(&t, &b, &city.username.to_uppercase(), "Wrong#Pass99", "").await;

    assert_eq!(res.status, 401);
    assert_eq!(
        text_of(&res.html, ".alert[role=alert]").as_deref(),
        Some("用户名或密码错误")
    );
    assert_eq!(
        input_value(&res.html, "username").as_deref(),
        Some(city.username.to_uppercase().as_str())
    );
    assert_eq!(input_value(&res.html, "password").as_deref(), Some(""));
    assert!(!res.html.contains("Wrong#Pass99"));
    assert_eq!(res.set_cookie("zk_staff"), None);
}

async fn a_province_admin_without_a_code_is_asked_for_it(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = staff(&demo, "province_admin");
    let b = t.browser();

    let res = staff_login(&t, &b, &admin.username, &admin.password, "").await;

    assert_eq!(res.status, 401);
    assert_eq!(
        text_of(&res.html, ".alert[role=alert]").as_deref(),
        Some("请输入动态验证码")
    );
    assert_eq!(
        field_error(&res.html, "totp").as_deref(),
        Some("错误：请输入身份验证器上的6位动态验证码")
    );
    assert_eq!(
        input_value(&res.html, "username").as_deref(),
        Some(admin.username.as_str())
    );
    assert_eq!(res.set_cookie("zk_staff"), None);
    assert_eq!(get(&t, &b, "/admin/home").await.location(), "/admin");
}

async fn a_province_admin_with_a_code_reaches_home_and_the_staff_accounts(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let b = t.browser();

    admin_signed_in(&t, &b, &demo).await;

    let home = get(&t, &b, "/admin/home").await;
    assert_eq!(home.status, 200);
    assert!(
        text_of(&home.html, "main .card p")
            .unwrap()
            .contains("角色：省招考中心；管辖范围：山西省")
    );
    assert!(has(&home.html, "a[href=\"/admin/staff\"]"));
    let accounts = get(&t, &b, "/admin/staff").await;
    assert_eq!(accounts.status, 200);
    assert_eq!(listed_usernames(&accounts.html).len(), demo.staff.len());
    for s in &demo.staff {
        assert!(
            listed_usernames(&accounts.html).contains(&s.username),
            "{} listed",
            s.username
        );
    }
    assert_eq!(
        text_of(&accounts.html, "section.card h2").as_deref(),
        Some(format!("现有账号（{}）", demo.staff.len()).as_str())
    );
    assert!(has(
        &accounts.html,
        "form[action=\"/admin/staff\"] select[name=role]"
    ));
}

async fn a_province_admin_creates_a_city_office_account_that_can_sign_in(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let b = t.browser();
    admin_signed_in(&t, &b, &demo).await;

    let res = create_staff(
        &t,
        &b,
        &[
            ("username", "Yangquan.01"),
            ("display_name", "阳泉市自考办一"),
            ("password", "Zhanghao#2026"),
            ("role", "city_office"),
            ("city", "1403"),
            ("point", ""),
        ],
    )
    .await;

    assert_eq!(res.status, 200, "{}", res.html);
    assert_eq!(
        text_of(&res.html, ".ok[role=status]").as_deref(),
        Some("账号已创建。")
    );
    assert!(listed_usernames(&res.html).contains(&"yangquan.01".to_owned()));
    assert_eq!(
        input_value(&res.html, "username").as_deref(),
        Some(""),
        "the form is empty again"
    );
    assert_eq!(
        t.app.db.count_staff().await.unwrap(),
        demo.staff.len() as i64 + 1
    );
    let (status, body) = t
        .post_json(
            "/api/v1/staff/session",
            None,
            json!({"username": "yangquan.01", "password": "Zhanghao#2026"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, me) = t.get_json("/api/v1/staff/me", body["token"].as_str()).await;
    assert_eq!(me["role"], "city_office");
    assert_eq!(me["scope_label"], "阳泉市");
}

async fn a_bad_staff_form_names_the_fields_and_creates_nothing(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let b = t.browser();
    admin_signed_in(&t, &b, &demo).await;

    let res = create_staff(
        &t,
        &b,
        &[
            ("username", "ab"),
            ("display_name", "某市自考办"),
            ("password", "Zhanghao#2026"),
            ("role", "city_office"),
            ("city", ""),
            ("point", ""),
        ],
    )
    .await;

    assert_eq!(res.status, 422);
    assert_eq!(
        text_of(&res.html, ".alert[role=alert]").as_deref(),
        Some("提交的信息有误，请按提示修改。")
    );
    assert_eq!(
        field_error(&res.html, "username").as_deref(),
        Some("错误：用户名应为3至32位字母、数字或 _ . -")
    );
    assert_eq!(
        field_error(&res.html, "city").as_deref(),
        Some("错误：请选择所属地市")
    );
    assert_eq!(field_error(&res.html, "password"), None);
    assert_eq!(input_value(&res.html, "username").as_deref(), Some("ab"));
    assert_eq!(
        input_value(&res.html, "display_name").as_deref(),
        Some("某市自考办")
    );
    assert_eq!(
        input_value(&res.html, "password").as_deref(),
        Some(""),
        "the password is not echoed"
    );
    assert!(!res.html.contains("Zhanghao#2026"));
    assert_eq!(selected(&res.html, "role"), ["city_office"]);
    assert!(!has(&res.html, ".ok"));
    assert_eq!(
        t.app.db.count_staff().await.unwrap(),
        demo.staff.len() as i64
    );
}

/// Creates a province admin "sheng2" through the form; their password.
async fn new_admin_created(t: &TestApp, demo: &DemoAccounts) -> &'static str {
    let b = t.browser();
    admin_signed_in(t, &b, demo).await;
    let password = "Shengji#2026";
    let res = create_staff(
        t,
        &b,
        &[
            ("username", "sheng2"),
            ("display_name", "省招考中心二"),
            ("password", password),
            ("role", "province_admin"),
            ("city", ""),
            ("point", ""),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.html);
    password
}

async fn a_new_province_admin_must_bind_a_second_factor_first(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let password = new_admin_created(&t, &demo).await;
    let b = t.browser();

    let res = staff_login(&t, &b, "sheng2", password, "").await;

    assert_eq!(
        (res.status, res.location()),
        (303, "/admin/totp"),
        "{}",
        res.html
    );
    assert!(cookie_attrs(&res.set_cookie("zk_staff").unwrap()).contains(&"path=/admin".into()));
    assert_eq!(
        get(&t, &b, "/admin/home").await.location(),
        "/admin",
        "nothing else opens before binding"
    );
    assert_eq!(get(&t, &b, "/admin/staff").await.location(), "/admin");
    assert_eq!(get(&t, &b, "/admin").await.location(), "/admin/totp");
    let page = get(&t, &b, "/admin/totp").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        text_of(&page.html, "main h1").as_deref(),
        Some("绑定身份验证器")
    );
    assert!(has(&page.html, ".qr svg"), "an inline SVG QR code");
    assert!(
        !has(&page.html, ".qr [style]"),
        "the CSP forbids style attributes"
    );
    let secret = text_of(&page.html, "code.secret").unwrap();
    assert!(secret.len() >= 26, "{secret}");
    assert!(
        secret
            .bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)),
        "base32: {secret}"
    );
    assert!(
        !input_value(&page.html, "sealed").unwrap().contains(&secret),
        "the form carries it sealed"
    );
    let login = json!({"username": "sheng2", "password": password});
    let (status, body) = t.post_json("/api/v1/staff/session", None, login).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("totp_enrollment_required")),
        "the API sends them to the pages to bind the second factor"
    );
}

async fn a_wrong_enrolment_code_is_refused_and_the_right_one_signs_in(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let password = new_admin_created(&t, &demo).await;
    let b = t.browser();
    staff_login(&t, &b, "sheng2", password, "").await;
    let page = get(&t, &b, "/admin/totp").await;
    let secret = text_of(&page.html, "code.secret").unwrap();
    let sealed = input_value(&page.html, "sealed").unwrap();

    let wrong = post(
        &t,
        &b,
        "/admin/totp",
        &[
            ("csrf", &page.csrf()),
            ("sealed", &sealed),
            ("totp", &wrong_code(&t, &secret)),
        ],
    )
    .await;

    assert_eq!(wrong.status, 422);
    assert_eq!(
        field_error(&wrong.html, "totp").as_deref(),
        Some("错误：动态验证码不正确，请核对手机时间后重试")
    );
    assert_eq!(
        get(&t, &b, "/admin/home").await.location(),
        "/admin",
        "still not signed in"
    );
    let again_secret = text_of(&wrong.html, "code.secret").unwrap();
    let again_sealed = input_value(&wrong.html, "sealed").unwrap();

    let right = post(
        &t,
        &b,
        "/admin/totp",
        &[
            ("csrf", &wrong.csrf()),
            ("sealed", &again_sealed),
            ("totp", &totp_code(&t, &again_secret, 0)),
        ],
    )
    .await;

    assert_eq!(
        (right.status, right.location()),
        (303, "/admin/home"),
        "{}",
        right.html
    );
    assert!(
        right.set_cookie("zk_staff").is_some(),
        "a new session replaces the enrolment one"
    );
    let home = get(&t, &b, "/admin/home").await;
    assert_eq!(home.status, 200);
    assert!(
        text_of(&home.html, "main .card p")
            .unwrap()
            .starts_with("省招考中心二，您好。角色：省招考中心")
    );
    let login = json!({"username": "sheng2", "password": password});
    let (status, body) = t.post_json("/api/v1/staff/session", None, login).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("totp_required")),
        "the second factor is now bound"
    );
}

async fn an_anonymous_visitor_is_sent_to_the_staff_login(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let b = t.browser();
    let c = &demo.candidates[0];
    crate::pages::sign_in(&t, &b, &c.id_number, c.password.as_deref().unwrap()).await;

    for path in ["/admin/home", "/admin/staff", "/admin/totp"] {
        let res = get(&t, &b, path).await;

        assert_eq!(
            (res.status, res.location()),
            (303, "/admin"),
            "{path}: a candidate is not staff"
        );
    }
}

async fn staff_logout_ends_the_session(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let city = staff(&demo, "city_office");
    let b = t.browser();
    staff_login(&t, &b, &city.username, &city.password, "").await;
    let csrf = get(&t, &b, "/admin/home").await.csrf();

    let res = post(&t, &b, "/admin/logout", &[("csrf", &csrf)]).await;

    assert_eq!((res.status, res.location()), (303, "/admin"));
    let removal = res.set_cookie("zk_staff").unwrap();
    assert!(
        cookie_attrs(&removal).contains(&"path=/admin".into()),
        "{removal}"
    );
    assert_eq!(get(&t, &b, "/admin/home").await.location(), "/admin");
    assert_eq!(
        post(&t, &b, "/admin/logout", &[("csrf", &csrf)])
            .await
            .status,
        403,
        "the old token is dead"
    );
}

both_backends!(
    admin_login_page_shows_the_staff_form,
    a_city_office_lands_on_its_home_with_an_admin_only_cookie,
    a_city_office_cannot_open_or_post_the_staff_accounts,
    a_wrong_staff_password_re_renders_the_login,
    a_province_admin_without_a_code_is_asked_for_it,
    a_province_admin_with_a_code_reaches_home_and_the_staff_accounts,
    a_province_admin_creates_a_city_office_account_that_can_sign_in,
    a_bad_staff_form_names_the_fields_and_creates_nothing,
    a_new_province_admin_must_bind_a_second_factor_first,
    a_wrong_enrolment_code_is_refused_and_the_right_one_signs_in,
    an_anonymous_visitor_is_sent_to_the_staff_login,
    staff_logout_ends_the_session,
);
