//! STUB: to be written.

#[derive(clap::Args)]
pub struct PutArgs {}
#[derive(clap::Args)]
pub struct GetArgs {}
#[derive(clap::Args)]
pub struct ObjectArgs {}

pub async fn put(_args: PutArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
pub async fn get(_args: GetArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
pub async fn run(_args: ObjectArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
