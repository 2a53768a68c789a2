//! The 登记表 benchmark with mimalloc as the allocator, to compare with the
//! system allocator in one run: `cargo bench --bench form_pdf_mimalloc`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "form_pdf.rs"]
mod system;

fn main() {
    system::main();
}
