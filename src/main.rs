/// mimalloc rather than glibc's malloc: a page request makes a few hundred
/// small allocations across threads, where glibc's arenas spent a quarter of
/// the request's time (BENCHMARKS.md, "The page ceiling").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    zikao::cli::run().await
}
