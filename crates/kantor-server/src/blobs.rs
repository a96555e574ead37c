//! The blob store: file bytes addressed by file id, on local disk in the data dir by default or
//! in an S3-compatible bucket (`KANTOR_FILES_URL=s3://bucket`, credentials and endpoint from the
//! standard `AWS_*` variables) through `object_store`. Local writes go to a temporary file that
//! is synced and renamed into place, so a file either exists whole or not at all; S3 puts are
//! atomic by themselves.

use std::path::PathBuf;
use std::sync::Arc;

use kantor_core::ids::FileId;
use object_store::ObjectStore;
use tokio::io::AsyncWriteExt;

pub enum Blobs {
    Local { root: PathBuf },
    Object { store: Arc<dyn ObjectStore> },
}

impl Blobs {
    pub fn local(root: PathBuf) -> Blobs {
        Blobs::Local { root }
    }

    /// An S3-compatible bucket from `s3://bucket`, configured by the `AWS_*` environment
    /// (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_ALLOW_HTTP` for a plain-HTTP endpoint on a private network).
    pub fn s3(url: &str) -> anyhow::Result<Blobs> {
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_url(url)
            .build()?;
        Ok(Blobs::Object {
            store: Arc::new(store),
        })
    }

    fn key(id: FileId) -> object_store::path::Path {
        object_store::path::Path::from(format!("files/{}", id.as_uuid().simple()))
    }

    fn path(root: &std::path::Path, id: FileId) -> PathBuf {
        let s = id.as_uuid().simple().to_string();
        // Spread files over directories by the random tail of the UUIDv7.
        root.join(&s[30..32]).join(s)
    }

    pub async fn put(&self, id: FileId, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            Blobs::Local { root } => {
                let path = Self::path(root, id);
                let dir = path.parent().unwrap_or(root).to_path_buf();
                tokio::fs::create_dir_all(&dir).await?;
                let tmp = dir.join(format!(".{}.tmp", id.as_uuid().simple()));
                let mut f = tokio::fs::File::create(&tmp).await?;
                f.write_all(bytes).await?;
                f.sync_all().await?;
                drop(f);
                tokio::fs::rename(&tmp, &path).await?;
            }
            Blobs::Object { store } => {
                store.put(&Self::key(id), bytes.to_vec().into()).await?;
            }
        }
        Ok(())
    }

    pub async fn get(&self, id: FileId) -> anyhow::Result<Vec<u8>> {
        match self {
            Blobs::Local { root } => Ok(tokio::fs::read(Self::path(root, id)).await?),
            Blobs::Object { store } => Ok(store.get(&Self::key(id)).await?.bytes().await?.to_vec()),
        }
    }
}

/// Image types we accept, recognised by their first bytes (never by name or declared type).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = Blobs::local(dir.path().to_path_buf());
        let id = FileId(uuid::Uuid::now_v7());
        blobs.put(id, b"hello").await.expect("put");
        assert_eq!(blobs.get(id).await.expect("get"), b"hello");
    }

    #[test]
    fn images_are_recognised_by_content() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff_image(b"GIF89a"), None);
    }
}
