//! The flows that store files, again with the files in a real S3-compatible
//! server (`scripts/test` starts one) and the database on PostgreSQL.

use crate::on_s3;

on_s3!(
    sweep::only_unused_files_are_swept,
    transfer_api::happy_path_from_draft_to_approval,
    transfer_api::refused_images_store_nothing,
    transfer_api::materials_are_deleted_only_while_draft,
    transfer_pages::the_whole_flow_through_the_pages,
    handoff::a_phone_uploads_the_confirmation_photos,
    identity_api::new_candidate_passes_with_three_photos_and_reaches_everything,
    identity_api::photos_reach_only_the_candidate_and_staff_of_their_scope,
    identity_api::refused_files_store_nothing_and_stored_files_carry_no_exif,
    data_export::the_copy_holds_the_candidates_own_data_only,
    query_center::the_admission_ticket_is_an_a4_pdf_of_the_own_exams,
);
