//! Where verified media blobs are kept: a local folder (the default, one
//! machine) or an S3-compatible object store (AWS S3, MinIO, Garage, Ceph…)
//! when several server instances share the load or the disk is small.
//!
//! Both keep the same content-addressed layout, `<sha[0..2]>/<sha>` (under
//! the bucket's prefix for S3), so a store can be copied from one to the
//! other with ordinary tools. Uploads in progress are *not* here: a partial
//! upload is appended to on local disk ([`crate::media::partial_path`]) and
//! only its verified whole reaches this store, so the object store never
//! sees a half blob nor a blob whose hash was not checked, and a resumed
//! upload never needs a ranged write the store may not offer.
//!
//! An enum rather than a trait object: two stores, known here, each a few
//! lines; the folder path stays as fast as before (a rename).

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::media;

/// Blobs up to this size go in one PUT; larger ones (room-scan videos) as a
/// multipart upload of parts this large (S3 needs ≥ 5 MiB per part).
const PART_BYTES: usize = 8 * 1024 * 1024;

/// Parts of one upload in flight at once: bounds the memory of a large
/// upload to about `PART_BYTES × (this + 1)`.
const PARTS_IN_FLIGHT: usize = 2;

/// The store of verified blobs. Cheap to clone.
#[derive(Clone, Debug)]
pub enum BlobStore {
    /// `<dir>/<sha[0..2]>/<sha>` on the local disk.
    Folder(PathBuf),
    /// `<prefix>/<sha[0..2]>/<sha>` in a bucket.
    Object {
        store: Arc<dyn ObjectStore>,
        prefix: Key,
        /// `s3://bucket/prefix`, for messages.
        url: String,
    },
}

impl BlobStore {
    /// An S3-compatible store from `s3://BUCKET[/PREFIX]`. Credentials,
    /// region and endpoint come from the standard variables
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ENDPOINT` for a non-AWS server, `AWS_ALLOW_HTTP=true` for one
    /// without TLS); nothing secret is ever on the command line. `settings`
    /// (`("aws_endpoint", "http://…")`, …) override them, for tests and
    /// embedders.
    pub fn s3(url: &str, settings: &[(&str, &str)]) -> Result<Self, String> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            format!(
                "media store {url:?}: expected s3://BUCKET[/PREFIX] (or a folder with --media-dir)"
            )
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("media store {url:?}: the bucket name is missing"));
        }
        let prefix = prefix.trim_matches('/');
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        for (name, value) in settings {
            let key = name
                .parse::<object_store::aws::AmazonS3ConfigKey>()
                .map_err(|e| format!("media store {url}: setting {name}: {e}"))?;
            builder = builder.with_config(key, *value);
        }
        let store = builder
            .build()
            .map_err(|e| format!("media store {url}: {e}"))?;
        let prefix = Key::parse(prefix).map_err(|e| format!("media store {url}: prefix: {e}"))?;
        let url = format!("s3://{bucket}/{prefix}");
        Ok(BlobStore::Object {
            store: Arc::new(store),
            prefix,
            url,
        })
    }

    /// Where the blobs are, for messages and logs.
    pub fn describe(&self) -> String {
        match self {
            BlobStore::Folder(dir) => dir.display().to_string(),
            BlobStore::Object { url, .. } => url.clone(),
        }
    }

    fn key(prefix: &Key, sha: &str) -> Key {
        let mut parts: Vec<_> = prefix.parts().collect();
        parts.push(sha[..2].into());
        parts.push(sha.into());
        Key::from_iter(parts)
    }

    fn io_error(&self, what: &str, e: object_store::Error) -> io::Error {
        let kind = match e {
            object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, format!("{what} in {}: {e}", self.describe()))
    }

    /// Checks the store can be used: the folder exists (created if not) or
    /// the bucket answers a listing. Run at start-up, so a wrong bucket or a
    /// wrong key fails the server at once rather than the first upload.
    pub async fn check(&self) -> io::Result<()> {
        match self {
            BlobStore::Folder(dir) => tokio::fs::create_dir_all(dir).await,
            BlobStore::Object { store, prefix, .. } => {
                store
                    .list_with_delimiter(Some(prefix))
                    .await
                    .map_err(|e| self.io_error("listing", e))?;
                Ok(())
            }
        }
    }

    /// Whether the blob `sha` is stored.
    pub async fn contains(&self, sha: &str) -> io::Result<bool> {
        match self {
            BlobStore::Folder(dir) => tokio::fs::try_exists(media::blob_path(dir, sha)).await,
            BlobStore::Object { store, prefix, .. } => {
                match store.head(&Self::key(prefix, sha)).await {
                    Ok(_) => Ok(true),
                    Err(object_store::Error::NotFound { .. }) => Ok(false),
                    Err(e) => Err(self.io_error("looking up a blob", e)),
                }
            }
        }
    }

    /// Stores the verified file `file` as blob `sha` and removes `file`. A
    /// blob already stored is kept as it is (same name, same bytes).
    pub async fn store_file(&self, sha: &str, file: &Path) -> io::Result<()> {
        if self.contains(sha).await? {
            return remove_quietly(file).await;
        }
        match self {
            BlobStore::Folder(dir) => {
                let blob = media::blob_path(dir, sha);
                if let Some(parent) = blob.parent() {
                    tokio::fs::create_dir_all(parent).await?;
                }
                tokio::fs::rename(file, &blob).await?;
                // The rename is durable once its folder is synced.
                let folder = blob.parent().map(Path::to_path_buf);
                tokio::task::spawn_blocking(move || match folder {
                    Some(folder) => std::fs::File::open(folder)?.sync_all(),
                    None => Ok(()),
                })
                .await
                .map_err(io::Error::other)?
            }
            BlobStore::Object { store, prefix, .. } => {
                let key = Self::key(prefix, sha);
                let len = tokio::fs::metadata(file).await?.len();
                if len <= PART_BYTES as u64 {
                    let bytes = tokio::fs::read(file).await?;
                    store
                        .put(&key, PutPayload::from(bytes))
                        .await
                        .map_err(|e| self.io_error("storing a blob", e))?;
                } else {
                    self.upload_parts(store, &key, file).await?;
                }
                remove_quietly(file).await
            }
        }
    }

    /// A large blob as a multipart upload, read from disk a part at a time;
    /// aborted (no orphan parts left billed) if anything fails.
    async fn upload_parts(
        &self,
        store: &Arc<dyn ObjectStore>,
        key: &Key,
        file: &Path,
    ) -> io::Result<()> {
        let upload = store
            .put_multipart(key)
            .await
            .map_err(|e| self.io_error("starting an upload", e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut source = tokio::fs::File::open(file).await?;
        let mut buf = vec![0u8; 1024 * 1024];
        let sent: io::Result<()> = async {
            loop {
                let n = source.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                writer
                    .wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(|e| self.io_error("uploading a part", e))?;
                writer.write(&buf[..n]);
            }
        }
        .await;
        match sent {
            Ok(()) => {
                writer
                    .finish()
                    .await
                    .map_err(|e| self.io_error("finishing an upload", e))?;
                Ok(())
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// The bytes of blob `sha`, or `None` when it is not stored.
    pub async fn read(&self, sha: &str) -> io::Result<Option<Vec<u8>>> {
        let got = match self {
            BlobStore::Folder(dir) => tokio::fs::read(media::blob_path(dir, sha)).await,
            BlobStore::Object { store, prefix, .. } => {
                match store.get(&Self::key(prefix, sha)).await {
                    Ok(r) => r
                        .bytes()
                        .await
                        .map(|b| b.to_vec())
                        .map_err(|e| self.io_error("reading a blob", e)),
                    Err(e) => Err(self.io_error("reading a blob", e)),
                }
            }
        };
        match got {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes every blob whose hash is not in `keep` (after a purge);
    /// returns how many blobs and bytes went. Objects that are not blobs
    /// (other names under the prefix) are left alone.
    pub async fn sweep(&self, keep: &HashSet<String>) -> io::Result<(u64, u64)> {
        match self {
            BlobStore::Folder(dir) => {
                let (dir, keep) = (dir.clone(), keep.clone());
                tokio::task::spawn_blocking(move || media::sweep(&dir, &keep))
                    .await
                    .map_err(io::Error::other)?
            }
            BlobStore::Object { store, prefix, .. } => {
                let depth = prefix.parts().count();
                let (mut files, mut bytes) = (0, 0);
                let mut listing = store.list(Some(prefix));
                let mut doomed = Vec::new();
                while let Some(meta) = listing.next().await {
                    let meta = meta.map_err(|e| self.io_error("listing", e))?;
                    let parts: Vec<_> = meta.location.parts().skip(depth).collect();
                    let [shard, name] = parts.as_slice() else {
                        continue;
                    };
                    let (shard, name) = (shard.as_ref(), name.as_ref());
                    if media::is_sha256_hex(name) && name[..2] == *shard && !keep.contains(name) {
                        doomed.push(meta.location);
                        bytes += meta.size;
                    }
                }
                for key in doomed {
                    store
                        .delete(&key)
                        .await
                        .map_err(|e| self.io_error("deleting a blob", e))?;
                    files += 1;
                }
                Ok((files, bytes))
            }
        }
    }
}

async fn remove_quietly(file: &Path) -> io::Result<()> {
    match tokio::fs::remove_file(file).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_name_a_bucket_and_an_optional_prefix() {
        let s = BlobStore::s3("s3://exams/vigil/media/", &[]).unwrap();
        assert_eq!(s.describe(), "s3://exams/vigil/media");
        let BlobStore::Object { prefix, .. } = &s else {
            panic!("not an object store");
        };
        let key = BlobStore::key(prefix, &"ab".repeat(32));
        assert_eq!(key.as_ref(), format!("vigil/media/ab/{}", "ab".repeat(32)));
        let bare = BlobStore::s3("s3://exams", &[]).unwrap();
        assert_eq!(bare.describe(), "s3://exams/");
        let BlobStore::Object { prefix, .. } = &bare else {
            panic!("not an object store");
        };
        assert_eq!(
            BlobStore::key(prefix, &"cd".repeat(32)).as_ref(),
            format!("cd/{}", "cd".repeat(32))
        );
    }

    #[test]
    fn other_urls_are_refused_with_the_form_expected() {
        let e = BlobStore::s3("https://exams", &[]).unwrap_err();
        assert!(e.contains("s3://BUCKET[/PREFIX]"), "{e}");
        let e = BlobStore::s3("s3:///prefix", &[]).unwrap_err();
        assert!(e.contains("bucket name is missing"), "{e}");
    }
}
