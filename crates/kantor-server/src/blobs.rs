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

impl Blobs {
    /// Removes a file's bytes; a file already gone is not an error (the purge may run twice).
    pub async fn delete(&self, id: FileId) -> anyhow::Result<()> {
        match self {
            Blobs::Local { root } => match tokio::fs::remove_file(Self::path(root, id)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Blobs::Object { store } => match store.delete(&Self::key(id)).await {
                Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Stores a file written elsewhere (a chat export built on disk): moved into place
    /// locally, uploaded in parts to a bucket, so it is never held in memory whole.
    pub async fn put_path(&self, id: FileId, from: &std::path::Path) -> anyhow::Result<()> {
        match self {
            Blobs::Local { root } => {
                let path = Self::path(root, id);
                let dir = path.parent().unwrap_or(root).to_path_buf();
                tokio::fs::create_dir_all(&dir).await?;
                let tmp = dir.join(format!(".{}.tmp", id.as_uuid().simple()));
                tokio::fs::copy(from, &tmp).await?;
                tokio::fs::File::open(&tmp).await?.sync_all().await?;
                tokio::fs::rename(&tmp, &path).await?;
            }
            Blobs::Object { store } => {
                use tokio::io::AsyncReadExt;
                let upload = store.put_multipart(&Self::key(id)).await?;
                let mut writer = object_store::WriteMultipart::new(upload);
                let mut f = tokio::fs::File::open(from).await?;
                let mut buf = vec![0u8; 8 * 1024 * 1024];
                loop {
                    let n = f.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    writer.write(&buf[..n]);
                }
                writer.finish().await?;
            }
        }
        Ok(())
    }

    /// A file's bytes as a stream of chunks (downloads of large files).
    pub async fn stream(&self, id: FileId) -> anyhow::Result<axum::body::Body> {
        match self {
            Blobs::Local { root } => {
                use tokio::io::AsyncReadExt;
                let f = tokio::fs::File::open(Self::path(root, id)).await?;
                // After an error the stream ends (`None` state): the client sees a cut body.
                let chunks = futures::stream::unfold(Some(f), |f| async move {
                    let mut f = f?;
                    let mut buf = vec![0u8; 256 * 1024];
                    match f.read(&mut buf).await {
                        Ok(0) => None,
                        Ok(n) => {
                            buf.truncate(n);
                            Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), Some(f)))
                        }
                        Err(e) => Some((Err(e), None)),
                    }
                });
                Ok(axum::body::Body::from_stream(chunks))
            }
            Blobs::Object { store } => {
                let stream = store.get(&Self::key(id)).await?.into_stream();
                Ok(axum::body::Body::from_stream(stream))
            }
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
