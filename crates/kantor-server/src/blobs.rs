//! The blob store: file bytes on local disk in the data dir, addressed by file id. Writes go to
//! a temporary file that is synced and renamed into place, so a file either exists whole or not
//! at all. (An S3-compatible backend through `object_store` is the planned second backend.)

use std::path::PathBuf;

use kantor_core::ids::FileId;
use tokio::io::AsyncWriteExt;

pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    pub fn local(root: PathBuf) -> Blobs {
        Blobs { root }
    }

    fn path(&self, id: FileId) -> PathBuf {
        let s = id.as_uuid().simple().to_string();
        // Spread files over directories by the random tail of the UUIDv7.
        self.root.join(&s[30..32]).join(s)
    }

    pub async fn put(&self, id: FileId, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(id);
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        let tmp = dir.join(format!(".{}.tmp", id.as_uuid().simple()));
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&tmp, &path).await
    }

    pub async fn get(&self, id: FileId) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(id)).await
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
