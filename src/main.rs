#[tokio::main]
async fn main() -> anyhow::Result<()> {
    zikao::cli::run().await
}
