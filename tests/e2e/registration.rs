//! 新考生注册 in the browser: the form (with a mistake first), the consent, the
//! 三照 through the file inputs (with a refused file first), the automated
//! checks, then signing out and in again.

use crate::browser::{self, Browser, Size, file};
use crate::harness::{Backend, TestApp, id_number};
use crate::photos::{faces_of, jpeg, people, portrait};

const PASSWORD: &str = "Kaoshi#2026";

pub async fn flow(size: Size) {
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    // Three photos of one person of Debian's example faces.
    let faces = faces_of(&people()[3]);
    let photos: Vec<_> = ["portrait", "id_card", "holding_id"]
        .iter()
        .zip(&faces)
        .map(|(kind, face)| {
            (
                *kind,
                file(files.path(), &format!("{kind}.jpg"), &jpeg(&portrait(face))),
            )
        })
        .collect();
    let not_a_jpeg = file(
        files.path(),
        "portrait.jpg.png",
        &crate::fixtures::png(420, 560),
    );
    let id = id_number("14010520000101123");

    browser::run("registration", size, &t.base, async |b: &Browser| {
        b.open("/").await;
        b.wait_for("#login").await;
        b.page("home").await;

        b.follow("考生注册").await;
        b.wait_for_title("考生注册").await;
        b.page("register-choice").await;

        b.follow("我是新生，点击开始注册").await;
        b.wait_for_title("新考生注册").await;
        b.page("register-form").await;

        b.fill("#name", "张伟").await;
        b.fill("#id_number", &id).await;
        b.fill("#phone", "13912345678").await;
        b.choose("#ethnicity", "汉族").await;
        b.choose("#household", "城镇").await;
        b.choose("#education", "普通高中").await;
        b.choose("#occupation", "学生").await;
        b.choose("#politics", "群众").await;
        b.choose("#county", "140105").await;
        b.fill("#password", PASSWORD).await;
        b.fill("#password_confirm", "Kaoshi#2027").await;
        b.press("form[action=\"/register/new\"]", "提交注册").await;

        let error = b.wait_for(".field.invalid #password_confirm-note").await;
        let message = error.text().await.unwrap();
        assert!(message.starts_with("错误"), "{message}");
        assert_eq!(
            b.find("#name")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("张伟"),
            "what was typed is kept"
        );
        b.page("register-mistake").await;

        b.fill("#password", PASSWORD).await;
        b.fill("#password_confirm", PASSWORD).await;
        b.press("form[action=\"/register/new\"]", "提交注册").await;

        b.wait_for_title("身份认证").await;
        assert_eq!(b.path().await, "/identity");
        assert_eq!(b.text(".badge").await, "待身份认证");
        b.page("identity-consent").await;

        b.click("input[name=accepted]").await;
        b.press("form[action=\"/identity/consent\"]", "同意并继续")
            .await;
        b.wait_for("#photo-portrait").await;
        b.page("identity-photos").await;

        // A PNG named like a photo is refused with its reason.
        b.attach("#photo-portrait", &not_a_jpeg).await;
        b.press("form[action=\"/identity/photos/portrait\"]", "上传")
            .await;
        let alert = b.wait_for("p.alert[role=alert]").await;
        let reason = alert.text().await.unwrap();
        assert!(reason.contains("JPG"), "{reason}");
        b.page("identity-refused").await;

        for (kind, path) in &photos {
            b.attach(&format!("#photo-{kind}"), path).await;
            let form = format!("form[action=\"/identity/photos/{kind}\"]");
            b.press(&form, "上传").await;
            b.wait_for(&format!("{form} img[src=\"/identity/photos/{kind}\"]"))
                .await;
        }
        assert!(!b.has("p.alert[role=alert]").await, "no error is left");
        b.page("identity-uploaded").await;

        b.press("form[action=\"/identity/verify\"]", "提交身份认证")
            .await;
        b.wait_for_title("个人中心").await;
        assert_eq!(b.path().await, "/center");
        let text = b.page_text().await;
        assert!(text.contains("张伟"), "the profile shows the name");
        assert!(!text.contains(&id), "the 身份证号 is masked");
        b.page("center").await;

        b.press(".top-nav", "退出登录").await;
        b.wait_for("#login").await;
        assert_eq!(b.path().await, "/");

        b.fill("#login", &id.to_lowercase()).await;
        b.fill("#password", "Wrong#2026").await;
        b.press("form[action=\"/login\"]", "登录").await;
        b.wait_for("p.alert[role=alert]").await;
        b.page("login-mistake").await;

        b.fill("#password", PASSWORD).await;
        b.press("form[action=\"/login\"]", "登录").await;
        b.wait_for_title("个人中心").await;
        assert!(b.page_text().await.contains("张伟"));
        b.page("signed-in").await;
    })
    .await;
}
