//! 省际转出 in a browser, without script: the form with its field errors, the
//! materials by multipart upload, 提交申请, the details and confirmation pages,
//! the city office's review, the candidate's notice, and strangers kept out.

use reqwest::Client;
use reqwest::multipart::{Form, Part};
use scraper::{Html, Selector};
use zikao::service::demo::{DemoAccounts, DemoCandidate};

use crate::both_backends;
use crate::fixtures;
use crate::harness::{Backend, TestApp, csrf_of};
use crate::pages::{Page, field_error, get, has, input_value, post, selected, sign_in};

const MATERIALS: [&str; 4] = [
    "id_card",
    "passed_courses",
    "target_ticket",
    "target_transcript",
];

/// Signs a demo candidate in with a fresh browser.
pub(crate) async fn candidate_browser(t: &TestApp, c: &DemoCandidate) -> Client {
    let b = t.browser();
    let res = sign_in(t, &b, &c.id_number, c.password.as_deref().unwrap()).await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/center"),
        "{}",
        res.html
    );
    b
}

/// Signs a city office (no second factor) in with a fresh browser.
async fn staff_browser(t: &TestApp, demo: &DemoAccounts, username: &str) -> Client {
    let s = demo.staff.iter().find(|s| s.username == username).unwrap();
    let b = t.browser();
    let form = get(t, &b, "/admin").await;
    let res = post(
        t,
        &b,
        "/admin/login",
        &[
            ("csrf", &form.csrf()),
            ("username", &s.username),
            ("password", &s.password),
            ("totp", ""),
        ],
    )
    .await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/admin/home"),
        "{}",
        res.html
    );
    b
}

/// Posts a multipart upload form the way a browser does: csrf first, then the photo.
pub(crate) async fn upload(
    t: &TestApp,
    b: &Client,
    path: &str,
    csrf: &str,
    bytes: Vec<u8>,
) -> Page {
    let part = Part::bytes(bytes)
        .file_name("photo.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let form = Form::new()
        .text("csrf", csrf.to_owned())
        .part("photo", part);
    let res = b.post(t.url(path)).multipart(form).send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page {
        status,
        headers,
        html: res.text().await.unwrap(),
    }
}

/// Status and content type of a GET.
async fn fetch(t: &TestApp, b: &Client, path: &str) -> (u16, String) {
    let res = b.get(t.url(path)).send().await.unwrap();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), kind)
}

/// The text of the error shown in the box of a material or photo kind.
pub(crate) fn kind_error(html: &str, kind: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(&format!("#kind-{kind} .error")).unwrap();
    doc.select(&sel)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_owned())
}

/// Every `src` of the images in a page.
pub(crate) fn image_sources(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("img[src^=\"/transfer/\"], img[src^=\"/admin/transfers/\"]").unwrap();
    doc.select(&sel)
        .map(|e| e.value().attr("src").unwrap().to_owned())
        .collect()
}

fn form_fields<'a>(csrf: &'a str, ticket: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("csrf", csrf),
        ("target_province", "41"),
        ("reason", "work_relocation"),
        ("target_ticket", ticket),
    ]
}

/// The form, with a wrong ticket first: the new application's id.
pub(crate) async fn create_through_the_form(t: &TestApp, b: &Client, c: &DemoCandidate) -> String {
    let service = get(t, b, "/services/transfer").await;
    assert_eq!(service.status, 200);
    assert!(
        has(&service.html, "a.button.primary[href=\"/transfer\"]"),
        "{}",
        service.html
    );
    assert!(service.html.contains("省际转出申请"));

    let entry = get(t, b, "/transfer").await;
    assert_eq!(entry.status, 200, "{}", entry.html);
    assert!(entry.html.contains("可转出课程") && entry.html.contains("03708"));
    assert!(has(&entry.html, "a[href=\"/transfer/new\"]"));
    assert!(has(&entry.html, "a[href=\"/contacts\"]"));

    let form = get(t, b, "/transfer/new").await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("省际转出申请信息填报"));
    assert!(form.html.contains(&c.name) && form.html.contains("太原市"));
    assert!(!form.html.contains(&c.id_number), "身份证号 is masked");
    assert!(
        form.html
            .contains("若信息有误请在转考规定时间内尽快联系地市招办进行修改信息")
    );
    let csrf = form.csrf();

    let wrong = post(t, b, "/transfer/new", &form_fields(&csrf, "12AB")).await;
    assert_eq!(wrong.status, 422, "{}", wrong.html);
    let message = field_error(&wrong.html, "target_ticket").expect("an error beside the ticket");
    assert!(message.starts_with("错误"), "{message}");
    assert_eq!(selected(&wrong.html, "target_province"), ["41"]);
    assert_eq!(selected(&wrong.html, "reason"), ["work_relocation"]);
    assert_eq!(
        input_value(&wrong.html, "target_ticket").as_deref(),
        Some("12AB")
    );
    assert_eq!(field_error(&wrong.html, "target_province"), None);

    let created = post(t, b, "/transfer/new", &form_fields(&csrf, "410119000001")).await;
    assert_eq!(created.status, 303, "{}", created.html);
    let id = created
        .location()
        .strip_prefix("/transfer/")
        .and_then(|rest| rest.strip_suffix("/materials"))
        .expect("on to the materials")
        .to_owned();

    let again = post(t, b, "/transfer/new", &form_fields(&csrf, "410119000001")).await;
    assert_eq!(again.status, 409, "one open application at a time");
    assert!(
        again.html.contains("您已有一份未完成的转出申请"),
        "{}",
        again.html
    );
    id
}

/// Materials by multipart, a refused PNG, then 提交申请.
pub(crate) async fn upload_materials_and_submit(t: &TestApp, b: &Client, id: &str) {
    let page = get(t, b, &format!("/transfer/{id}/materials")).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("材料管理（点击图片放大查看）"));
    assert!(page.html.contains("材料上传要求"));
    assert!(has(
        &page.html,
        "form[enctype=\"multipart/form-data\"] input[type=file][accept=\"image/jpeg\"][capture]"
    ));
    let csrf = page.csrf();

    let early = post(t, b, &format!("/transfer/{id}/submit"), &[("csrf", &csrf)]).await;
    assert_eq!(early.status, 422);
    for kind in MATERIALS {
        let e = kind_error(&early.html, kind).unwrap_or_else(|| panic!("{kind} shows its error"));
        assert!(e.contains("请上传"), "{kind}: {e}");
    }

    let png = upload(
        t,
        b,
        &format!("/transfer/{id}/materials/id_card"),
        &csrf,
        fixtures::png(800, 600),
    )
    .await;
    assert_eq!(png.status, 422, "{}", png.html);
    assert!(kind_error(&png.html, "id_card").is_some(), "{}", png.html);
    assert_eq!(kind_error(&png.html, "passed_courses"), None);

    for kind in MATERIALS {
        let path = format!("/transfer/{id}/materials/{kind}");
        let res = upload(t, b, &path, &csrf, fixtures::standard()).await;
        assert_eq!(res.status, 303, "{kind}: {}", res.html);
        assert_eq!(res.location(), format!("/transfer/{id}/materials"));
    }
    let page = get(t, b, &format!("/transfer/{id}/materials")).await;
    let thumbs: Vec<String> = image_sources(&page.html);
    assert_eq!(thumbs.len(), 4, "{}", page.html);
    assert!(thumbs.iter().all(|s| s.ends_with("?size=thumb")));
    assert_eq!(fetch(t, b, &thumbs[0]).await, (200, "image/jpeg".into()));
    let full = thumbs[0].trim_end_matches("?size=thumb");
    assert_eq!(fetch(t, b, full).await.0, 200);
    assert!(page.html.contains(">删除<"), "drafts can delete images");

    let submitted = post(t, b, &format!("/transfer/{id}/submit"), &[("csrf", &csrf)]).await;
    assert_eq!(
        (submitted.status, submitted.location()),
        (303, format!("/transfer/{id}").as_str()),
        "{}",
        submitted.html
    );
}

/// Target specialty, the two photos, 确认并提交.
async fn confirm_online(t: &TestApp, b: &Client, c: &DemoCandidate, id: &str) {
    let page = get(t, b, &format!("/transfer/{id}/confirm")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    for text in [
        "转考（转出）确认",
        "下载登记表PDF",
        "本人登记表照片上传",
        "上传已签字登记表照片",
        "上传本人手持登记表照片",
        "确认并提交",
        "返回详情页",
        "合格课程及成绩",
        "(3) 点击“确认并提交”完成线上确认",
    ] {
        assert!(page.html.contains(text), "confirm page lacks {text}");
    }
    assert!(!page.html.contains(&c.id_number), "身份证号 is masked");
    assert!(page.html.contains("138****0231"), "phone is masked");
    let csrf = page.csrf();

    let early = post(t, b, &format!("/transfer/{id}/confirm"), &[("csrf", &csrf)]).await;
    assert_eq!(early.status, 422);
    assert!(kind_error(&early.html, "signed_form").is_some());
    assert!(early.html.contains("请填写转入地专业名称"));

    let specialty = |level: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("name", "会计学".to_owned()),
            ("code", "120203K".to_owned()),
            ("level", level.to_owned()),
        ]
    };
    let path = format!("/transfer/{id}/target-specialty");
    let bad = b
        .post(t.url(&path))
        .form(&specialty(""))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(field_error(&html, "level").is_some());
    assert_eq!(input_value(&html, "name").as_deref(), Some("会计学"));
    let good = b
        .post(t.url(&path))
        .form(&specialty("本科"))
        .send()
        .await
        .unwrap();
    assert_eq!(good.status().as_u16(), 303);

    for kind in ["signed_form", "holding_form"] {
        let path = format!("/transfer/{id}/confirmation-photos/{kind}");
        let res = upload(t, b, &path, &csrf, fixtures::standard()).await;
        assert_eq!(res.status, 303, "{kind}: {}", res.html);
    }
    let page = get(t, b, &format!("/transfer/{id}/confirm")).await;
    assert_eq!(image_sources(&page.html).len(), 2);
    assert_eq!(selected(&page.html, "level"), ["本科"]);

    let (status, kind) = fetch(t, b, &format!("/transfer/{id}/form.pdf")).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));

    let done = post(t, b, &format!("/transfer/{id}/confirm"), &[("csrf", &csrf)]).await;
    assert_eq!(
        (done.status, done.location()),
        (303, format!("/transfer/{id}").as_str()),
        "{}",
        done.html
    );
}

pub(crate) async fn the_whole_flow_through_the_pages(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let b = candidate_browser(&t, c).await;

    let id = create_through_the_form(&t, &b, c).await;
    upload_materials_and_submit(&t, &b, &id).await;

    let details = get(&t, &b, &format!("/transfer/{id}")).await;
    assert_eq!(details.status, 200);
    for text in [
        "省际转出申请信息详情",
        "待线上确认",
        "河南",
        "工作调动",
        "410119000001",
        "查看材料",
        "查看转出登记表并确认",
        "视为自动放弃",
        "修改申请",
        "如有问题可联系山西省各市自考部门，联系方式可点击此处",
    ] {
        assert!(details.html.contains(text), "details lack {text}");
    }
    assert!(has(&details.html, "a[href=\"/contacts\"]"));
    let contacts = get(&t, &b, "/contacts").await;
    assert_eq!(contacts.status, 200);
    assert!(contacts.html.contains("太原市") && contacts.html.contains("0351-0000000"));

    confirm_online(&t, &b, c, &id).await;
    let details = get(&t, &b, &format!("/transfer/{id}")).await;
    assert!(details.html.contains("待审核") && details.html.contains("考生已完成线上确认"));
    assert!(!details.html.contains("查看转出登记表并确认"));

    // Another candidate and another city's office see nothing of it.
    let stranger = candidate_browser(&t, &demo.candidates[1]).await;
    let file = t.app.db.transfer_images(&id).await.unwrap()[0]
        .file_id
        .clone();
    for path in [
        format!("/transfer/{id}"),
        format!("/transfer/{id}/edit"),
        format!("/transfer/{id}/materials"),
        format!("/transfer/{id}/confirm"),
        format!("/transfer/{id}/form.pdf"),
        format!("/transfer/{id}/files/{file}"),
        format!("/transfer/{id}/files/{file}?size=thumb"),
    ] {
        assert_eq!(fetch(&t, &stranger, &path).await.0, 404, "{path}");
    }
    let datong = staff_browser(&t, &demo, "datong").await;
    for path in [
        format!("/admin/transfers/{id}"),
        format!("/admin/transfers/{id}/files/{file}"),
        format!("/admin/transfers/{id}/form.pdf"),
    ] {
        assert_eq!(fetch(&t, &datong, &path).await.0, 404, "{path}");
    }

    // The city office reviews.
    let office = staff_browser(&t, &demo, "taiyuan").await;
    let home = get(&t, &office, "/admin/home").await;
    assert!(has(&home.html, "a[href=\"/admin/transfers\"]"));
    let queue = get(&t, &office, "/admin/transfers").await;
    assert_eq!(queue.status, 200, "{}", queue.html);
    let first_tab = Html::parse_document(&queue.html)
        .select(&Selector::parse(".tabs a").unwrap())
        .next()
        .map(|a| a.text().collect::<String>())
        .unwrap();
    assert!(
        first_tab.contains("待审核") && first_tab.contains('1'),
        "{first_tab}"
    );
    assert!(has(
        &queue.html,
        &format!("a[href=\"/admin/transfers/{id}\"]")
    ));

    let review = get(&t, &office, &format!("/admin/transfers/{id}")).await;
    assert_eq!(review.status, 200, "{}", review.html);
    let images = image_sources(&review.html);
    assert_eq!(images.len(), 6, "materials and confirmation photos, large");
    assert_eq!(
        fetch(&t, &office, &images[0]).await,
        (200, "image/jpeg".into())
    );
    let pdf = fetch(&t, &office, &format!("/admin/transfers/{id}/form.pdf")).await;
    assert_eq!(pdf, (200, "application/pdf".into()));
    assert!(review.html.contains("考生完成线上确认") && review.html.contains("03708"));
    let csrf = csrf_of(&review.html);
    let decision = format!("/admin/transfers/{id}/decision");

    let unchosen = post(&t, &office, &decision, &[("csrf", &csrf)]).await;
    assert_eq!(unchosen.status, 422);
    assert!(unchosen.html.contains("错误：请选择审核结果"));
    let reasonless = post(
        &t,
        &office,
        &decision,
        &[("csrf", &csrf), ("decision", "reject_application")],
    )
    .await;
    assert_eq!(reasonless.status, 422);
    assert!(reasonless.html.contains("请填写审核意见"));

    let approved = post(
        &t,
        &office,
        &decision,
        &[
            ("csrf", &csrf),
            ("decision", "approve"),
            ("return_to", "application"),
        ],
    )
    .await;
    assert_eq!(
        (approved.status, approved.location()),
        (303, "/admin/transfers"),
        "{}",
        approved.html
    );
    let twice = post(
        &t,
        &office,
        &decision,
        &[
            ("csrf", &csrf),
            ("decision", "reject_confirmation"),
            ("reason_code", "登记表未签字"),
        ],
    )
    .await;
    assert_eq!(twice.status, 409);
    assert!(twice.html.contains("该申请已被处理"), "{}", twice.html);

    // The candidate sees the result and a notice.
    let details = get(&t, &b, &format!("/transfer/{id}")).await;
    assert!(
        details.html.contains("审核结果：初审通过"),
        "{}",
        details.html
    );
    let center = get(&t, &b, "/center").await;
    assert!(center.html.contains("消息"));
    assert!(center.html.contains("初审通过"), "{}", center.html);
}

async fn a_return_for_correction_reaches_the_candidate(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let b = candidate_browser(&t, c).await;
    let center = get(&t, &b, "/center").await;
    assert!(center.html.contains("暂无消息"));

    let id = create_through_the_form(&t, &b, c).await;
    upload_materials_and_submit(&t, &b, &id).await;
    confirm_online(&t, &b, c, &id).await;

    let office = staff_browser(&t, &demo, "taiyuan").await;
    let review = get(&t, &office, &format!("/admin/transfers/{id}")).await;
    let returned = post(
        &t,
        &office,
        &format!("/admin/transfers/{id}/decision"),
        &[
            ("csrf", &csrf_of(&review.html)),
            ("decision", "return_for_correction"),
            ("return_to", "application"),
            ("reason_code", "材料照片不清晰"),
            ("reason_text", "身份证照片反光"),
        ],
    )
    .await;
    assert_eq!(returned.status, 303, "{}", returned.html);

    let details = get(&t, &b, &format!("/transfer/{id}")).await;
    assert!(
        details.html.contains("材料照片不清晰：身份证照片反光"),
        "{}",
        details.html
    );
    let form = get(&t, &b, &format!("/transfer/{id}/edit")).await;
    assert_eq!(form.status, 200);
    assert_eq!(selected(&form.html, "target_province"), ["41"]);
    let center = get(&t, &b, "/center").await;
    assert!(center.html.contains("退回修改"), "{}", center.html);
}

both_backends!(
    the_whole_flow_through_the_pages,
    a_return_for_correction_reaches_the_candidate
);
