//! The JSON API (v1) for phone apps and mini-programs, described by the OpenAPI
//! document at /api/openapi.json. It calls the same services as the pages.

mod accounts;
mod announcements;
pub mod auth;
mod catalog;
mod data_export;
pub mod error;
pub mod identity;
mod records;
mod recovery;
mod staff;
mod transfer;

/// Response helpers the pages share with the API.
pub use data_export::zip;
pub use records::admission_ticket;
pub use transfer::{ImageQuery, jpeg, pdf};

use std::sync::OnceLock;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::service::App;

#[derive(OpenApi)]
#[openapi(
    info(title = "自考信息服务平台 API", version = "1.0.0",
         description = "考生与工作人员的全部业务接口。错误均为 {error, message, fields}。"),
    paths(
        accounts::register_new, accounts::register_enrolled, accounts::login, accounts::logout,
        accounts::me, accounts::change_password,
        catalog::windows, catalog::transfer_reasons, catalog::lists,
        announcements::list, announcements::show,
        staff::login, staff::logout, staff::me,
        staff::find_record, staff::record, staff::correct_record,
        transfer::eligibility, transfer::list, transfer::create, transfer::show, transfer::update,
        transfer::add_material, transfer::delete_material, transfer::submit, transfer::reopen,
        transfer::target_specialty, transfer::confirmation_photo, transfer::confirm,
        transfer::image, transfer::queue, transfer::staff_show, transfer::staff_image,
        transfer::decide, transfer::notices, transfer::form_pdf, transfer::staff_form_pdf,
        identity::consent, identity::status, identity::put_photo, identity::get_photo,
        identity::verify, identity::queue, identity::staff_photo, identity::decide,
        identity::in_person_search, identity::in_person_verify, identity::points,
        recovery::start, recovery::put_photo, recovery::verify, recovery::finish,
        data_export::data_export,
        records::passed, records::latest, records::plan, records::admission_ticket_pdf,
    ),
    modifiers(&BearerAuth, &ErrorResponses),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation may also answer with the error body: 400 for a body that is
/// not JSON, 401 without a session, 429 when throttled, 503 when the database
/// is unavailable. A `default` response says so, so that clients (and schema
/// checkers) know the shape of any status an operation does not list.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = ResponseBuilder::new()
            .description("错误：message 为中文说明，fields 为各字段的错误")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ApiErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                op.responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| error.clone().into());
            }
        }
    }
}

/// The OpenAPI document, built once.
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serialises")
    })
}

/// Largest upload body read: a little over the 6 MB photo limit, so that a file
/// just over it gets the photo rules' message rather than a bare 413.
const UPLOAD_LIMIT: usize = 6 * 1024 * 1024 + 64 * 1024;

/// Routes under /api.
pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/openapi.json",
            get(|| async {
                ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
            }),
        )
        .route("/v1/registrations/new", post(accounts::register_new))
        .route(
            "/v1/registrations/enrolled",
            post(accounts::register_enrolled),
        )
        .route(
            "/v1/session",
            post(accounts::login).delete(accounts::logout),
        )
        .route("/v1/me", get(accounts::me))
        .route("/v1/me/password", put(accounts::change_password))
        .route("/v1/me/data-export", get(data_export::data_export))
        .route("/v1/windows", get(catalog::windows))
        .route("/v1/transfer-outs/reasons", get(catalog::transfer_reasons))
        .route("/v1/lists", get(catalog::lists))
        .route("/v1/announcements", get(announcements::list))
        .route("/v1/announcements/{id}", get(announcements::show))
        .route(
            "/v1/staff/session",
            post(staff::login).delete(staff::logout),
        )
        .route("/v1/staff/me", get(staff::me))
        .route("/v1/staff/candidates/search", post(staff::find_record))
        .route(
            "/v1/staff/candidates/{candidate_id}/record",
            get(staff::record).put(staff::correct_record),
        )
        .route("/v1/me/notices", get(transfer::notices))
        .route("/v1/me/results", get(records::passed))
        .route("/v1/me/results/latest", get(records::latest))
        .route("/v1/me/plan", get(records::plan))
        .route(
            "/v1/me/admission-ticket.pdf",
            get(records::admission_ticket_pdf),
        )
        .route(
            "/v1/transfer-outs",
            get(transfer::list).post(transfer::create),
        )
        .route("/v1/transfer-outs/eligibility", get(transfer::eligibility))
        .route(
            "/v1/transfer-outs/{id}",
            get(transfer::show).put(transfer::update),
        )
        .route(
            "/v1/transfer-outs/{id}/materials/{kind}",
            put(transfer::add_material)
                .delete(transfer::delete_material)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/v1/transfer-outs/{id}/submit", post(transfer::submit))
        .route("/v1/transfer-outs/{id}/reopen", post(transfer::reopen))
        .route(
            "/v1/transfer-outs/{id}/target-specialty",
            put(transfer::target_specialty),
        )
        .route(
            "/v1/transfer-outs/{id}/confirmation-photos/{kind}",
            put(transfer::confirmation_photo).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/v1/transfer-outs/{id}/confirm", post(transfer::confirm))
        .route("/v1/transfer-outs/{id}/form.pdf", get(transfer::form_pdf))
        .route(
            "/v1/staff/transfer-outs/{id}/form.pdf",
            get(transfer::staff_form_pdf),
        )
        .route(
            "/v1/transfer-outs/{id}/files/{file_id}",
            get(transfer::image),
        )
        .route("/v1/staff/transfer-outs", get(transfer::queue))
        .route("/v1/staff/transfer-outs/{id}", get(transfer::staff_show))
        .route(
            "/v1/staff/transfer-outs/{id}/files/{file_id}",
            get(transfer::staff_image),
        )
        .route(
            "/v1/staff/transfer-outs/{id}/decision",
            post(transfer::decide),
        )
        .route("/v1/me/consent", post(identity::consent))
        .route("/v1/me/identity", get(identity::status))
        .route(
            "/v1/me/identity-photos/{kind}",
            put(identity::put_photo).get(identity::get_photo),
        )
        .route("/v1/me/identity-verification", post(identity::verify))
        .route("/v1/staff/identity-reviews", get(identity::queue))
        .route(
            "/v1/staff/identity-reviews/{candidate_id}/photos/{kind}",
            get(identity::staff_photo),
        )
        .route(
            "/v1/staff/identity-reviews/{candidate_id}/decision",
            post(identity::decide),
        )
        .route(
            "/v1/staff/identity-in-person/search",
            post(identity::in_person_search),
        )
        .route(
            "/v1/staff/identity-in-person/{candidate_id}",
            post(identity::in_person_verify),
        )
        .route("/v1/registration-points", get(identity::points))
        .route("/v1/password-recovery", post(recovery::start))
        .route(
            "/v1/password-recovery/photos/{kind}",
            put(recovery::put_photo),
        )
        .route("/v1/password-recovery/verification", post(recovery::verify))
        .route("/v1/password-recovery/password", post(recovery::finish))
        .fallback(error::not_found)
        .layer(axum::middleware::map_response(error::json_rejections))
}
