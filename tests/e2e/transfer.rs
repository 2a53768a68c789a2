//! 省际转出 in the browser, by an enrolled demo candidate: the form (a wrong
//! ticket first), the materials through the file inputs (a refused file first),
//! 提交申请, the details, the confirmation page with 下载登记表PDF and the two
//! photos, 确认并提交; then the city office approves it in the back office, and
//! the candidate signs in again and sees the result.

use zikao::service::demo::DemoAccounts;

use crate::browser::{self, Browser, Size, file};
use crate::fixtures;
use crate::harness::{Backend, TestApp};

const MATERIALS: [&str; 4] = [
    "id_card",
    "passed_courses",
    "target_ticket",
    "target_transcript",
];

async fn candidate_signs_in(b: &Browser, login: &str, password: &str) {
    b.open("/").await;
    b.wait_for("#login").await;
    b.fill("#login", login).await;
    b.fill("#password", password).await;
    b.press("form[action=\"/login\"]", "登录").await;
    b.wait_for_title("个人中心").await;
}

pub async fn flow(size: Size) {
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let demo: DemoAccounts = t.demo().await;
    let c = &demo.candidates[0];
    let password = c.password.clone().unwrap();
    let ticket = c.ticket.clone().unwrap();
    let office = demo
        .staff
        .iter()
        .find(|s| s.username == "taiyuan")
        .expect("the demo has 太原市自考办");
    let files = tempfile::tempdir().unwrap();
    let jpeg = file(files.path(), "material.jpg", &fixtures::standard());
    let png = file(files.path(), "scan.png", &fixtures::png(800, 600));

    browser::run("transfer", size, &t.base, async |b: &Browser| {
        // The candidate applies.
        candidate_signs_in(b, &ticket, &password).await;
        b.page("center").await;

        b.click("a.entry[href=\"/services/transfer\"]").await;
        b.wait_for("main a.button.primary[href=\"/transfer\"]")
            .await;
        b.page("service").await;

        b.click("main a.button.primary[href=\"/transfer\"]").await;
        b.wait_for("a[href=\"/transfer/new\"]").await;
        assert!(b.page_text().await.contains("可转出课程"));
        b.page("transfer-entry").await;

        b.follow("开始省际转出申请").await;
        b.wait_for_title("省际转出申请信息填报").await;
        b.page("form").await;

        b.choose("#target_province", "41").await;
        b.choose("#reason", "work_relocation").await;
        b.fill("#target_ticket", "12AB").await;
        b.press("form.stack", "保存并上传审核材料").await;
        let error = b.wait_for(".field.invalid #target_ticket-note").await;
        assert!(error.text().await.unwrap().starts_with("错误"));
        b.page("form-mistake").await;

        b.fill("#target_ticket", "410119000001").await;
        b.press("form.stack", "保存并上传审核材料").await;
        b.wait_for_title("材料管理").await;
        let path = b.path().await;
        let id = path
            .strip_prefix("/transfer/")
            .and_then(|p| p.strip_suffix("/materials"))
            .unwrap_or_else(|| panic!("on to the materials, not {path}"))
            .to_owned();
        b.page("materials").await;

        // A PNG is refused beside its kind, by content.
        b.attach("#photo-id_card", &png).await;
        b.press("#kind-id_card", "上传本人身份证照片").await;
        let refused = b.wait_for("#kind-id_card .error").await;
        assert!(refused.text().await.unwrap().starts_with("错误"));
        b.page("materials-refused").await;

        for kind in MATERIALS {
            let scope = format!("#kind-{kind}");
            b.attach(&format!("#photo-{kind}"), &jpeg).await;
            b.click(&format!("{scope} button[type=submit]")).await;
            b.wait_for(&format!("{scope} .thumbs img")).await;
        }
        assert!(!b.has(".kind-box .error").await, "no error is left");
        b.page("materials-uploaded").await;

        b.press(
            &format!("form[action=\"/transfer/{id}/submit\"]"),
            "提交申请",
        )
        .await;
        b.wait_for_title("省际转出申请信息详情").await;
        assert_eq!(b.path().await, format!("/transfer/{id}"));
        let text = b.page_text().await;
        for expected in [
            "待线上确认",
            "河南",
            "工作调动",
            "410119000001",
            "视为自动放弃",
        ] {
            assert!(text.contains(expected), "the details show {expected}");
        }
        b.page("details").await;

        b.click(&format!("a.button[href=\"/transfer/{id}/confirm\"]"))
            .await;
        b.wait_for_title("转考（转出）确认").await;
        b.page("confirm").await;

        let pdf = b
            .find("a[href$=\"/form.pdf\"]")
            .await
            .attr("href")
            .await
            .unwrap()
            .expect("下载登记表PDF links the PDF");
        assert_eq!(
            b.text("a[href$=\"/form.pdf\"]").await.trim(),
            "下载登记表PDF"
        );
        let (status, kind, len, magic) = b.fetch(&pdf).await;
        assert_eq!((status, kind.as_str()), (200, "application/pdf"));
        assert_eq!(magic, "%PDF-");
        assert!(len > 10_000, "a whole form, not an error page: {len} bytes");

        b.fill("#name", "会计学").await;
        b.fill("#code", "120203K").await;
        b.choose("#level", "本科").await;
        b.press("#target-specialty", "保存转入地专业").await;
        // The page comes back from the server with the level saved.
        b.wait_for("#level option[selected][value=\"本科\"]").await;

        for kind in ["signed_form", "holding_form"] {
            let scope = format!("#kind-{kind}");
            b.attach(&format!("#photo-{kind}"), &jpeg).await;
            b.click(&format!("{scope} button[type=submit]")).await;
            b.wait_for(&format!("{scope} .thumbs img")).await;
        }
        b.page("confirm-photos").await;

        b.press(
            &format!("form[action=\"/transfer/{id}/confirm\"]"),
            "确认并提交",
        )
        .await;
        b.wait_for_title("省际转出申请信息详情").await;
        let text = b.page_text().await;
        assert!(text.contains("待审核"), "pending review");
        assert!(text.contains("考生已完成线上确认"));
        b.page("confirmed").await;

        b.press(".top-nav", "退出登录").await;
        b.wait_for("#login").await;

        // The city office approves it.
        b.open("/admin").await;
        b.wait_for("#username").await;
        b.page("staff-login").await;
        b.fill("#username", &office.username).await;
        b.fill("#password", &office.password).await;
        b.press("form[action=\"/admin/login\"]", "登录").await;
        b.wait_for_title("工作台").await;
        b.page("staff-home").await;

        b.click("main a[href=\"/admin/transfers\"]").await;
        b.wait_for_title("省际转出审核").await;
        let row = format!("a[href=\"/admin/transfers/{id}\"]");
        b.wait_for(&row).await;
        b.page("queue").await;

        b.click(&row).await;
        b.wait_for_title("省际转出申请").await;
        assert_eq!(
            b.client
                .find_all(browser::css(".large-images img"))
                .await
                .unwrap()
                .len(),
            6,
            "four materials and two confirmation photos, large"
        );
        b.page("review").await;

        let decide = format!("form[action=\"/admin/transfers/{id}/decision\"]");
        b.press(&decide, "提交审核结果").await;
        b.wait_for(".field.invalid .error").await;
        b.page("review-mistake").await;

        b.click("input[name=decision][value=approve]").await;
        b.press(&decide, "提交审核结果").await;
        b.wait_for_title("省际转出审核").await;
        assert!(!b.has(&row).await, "no longer waiting for review");
        b.page("queue-after").await;

        b.press(".top-nav", "退出登录").await;
        b.wait_for("#username").await;

        // The candidate sees the result.
        candidate_signs_in(b, &c.id_number, &password).await;
        assert!(
            b.page_text().await.contains("初审通过"),
            "a notice on the center"
        );
        b.page("center-result").await;

        b.open("/transfer").await;
        b.wait_for_title("省际转出").await;
        b.click(&format!("a.app-row[href=\"/transfer/{id}\"]"))
            .await;
        b.wait_for_title("省际转出申请信息详情").await;
        assert!(
            b.text(".review-result")
                .await
                .contains("审核结果：初审通过")
        );
        b.page("result").await;
    })
    .await;
}
