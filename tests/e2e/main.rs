//! End-to-end tests in a real headless Chromium: the platform runs as in the
//! integration tests (a real server on port 0, a fresh SQLite file, a settable
//! clock), and every flow is clicked and typed through at phone size (375×812)
//! and at desktop size (1280×900), with a screenshot of each step and axe-core
//! run on every page.
//!
//! Needs Debian's `chromium` and `chromium-driver` and axe-core (all from
//! `./scripts/setup`); without them the tests fail and say what is missing.
//! Screenshots: `<target>/e2e-artifacts/<flow>-<size>/NN-step.png`.

// The integration tests' harness and test images, shared as they are.
#[allow(dead_code)]
#[path = "../it/harness.rs"]
mod harness;

#[allow(dead_code)]
#[path = "../it/fixtures.rs"]
mod fixtures;

#[allow(dead_code)]
#[path = "../it/photos.rs"]
mod photos;

mod browser;
mod registration;
mod transfer;

use browser::Size;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_candidate_registers_with_photos_and_signs_in_on_a_phone() {
    registration::flow(Size::Phone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_candidate_registers_with_photos_and_signs_in_on_a_desktop() {
    registration::flow(Size::Desktop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_out_is_applied_for_confirmed_and_approved_on_a_phone() {
    transfer::flow(Size::Phone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_out_is_applied_for_confirmed_and_approved_on_a_desktop() {
    transfer::flow(Size::Desktop).await;
}
