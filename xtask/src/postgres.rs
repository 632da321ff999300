//! A throwaway PostgreSQL cluster for the server's test suite.
//!
//! The server runs on SQLite or PostgreSQL; `cargo xtask test` runs its
//! storage tests on both. This module finds Debian's PostgreSQL binaries
//! (`/usr/lib/postgresql/<version>/bin`), installing the `postgresql`
//! package when root and missing, then `initdb`s a cluster in a fresh
//! folder, starts it on a free loopback port with trust authentication
//! (loopback only, no durability: it lives for one test run) and stops and
//! deletes it when the [`Cluster`] is dropped, on success and failure alike.
//!
//! PostgreSQL refuses to run as root, so when root the binaries run as the
//! `postgres` user (`runuser -u postgres -- …`) on a folder under `/tmp` it
//! owns; otherwise as the current user under `target/pg`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{setup, util};

/// Where Debian puts each PostgreSQL version's server binaries.
const PG_LIB: &str = "/usr/lib/postgresql";

/// A running cluster; dropping it stops it and deletes its files.
pub(crate) struct Cluster {
    bin: PathBuf,
    base: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// Starts a fresh cluster, or says why there is none (`Ok(Err(why))`:
    /// not installed, and not root to install it). Errors are real failures
    /// (the install or the start failed).
    pub(crate) fn start() -> Result<std::result::Result<Cluster, String>> {
        Self::start_with(false)
    }

    /// A cluster whose commits survive a crash of the server process
    /// (`synchronous_commit = on`): the restart test stops it with
    /// `pg_ctl -m immediate` and counts every acknowledged event after.
    /// Its [`Cluster::control_script`] stops and starts it.
    pub(crate) fn start_durable() -> Result<std::result::Result<Cluster, String>> {
        Self::start_with(true)
    }

    fn start_with(durable: bool) -> Result<std::result::Result<Cluster, String>> {
        let bin = match find_bin() {
            Some(bin) => bin,
            None if util::is_root() => {
                setup::apt_install(&["postgresql"])?;
                find_bin()
                    .context("postgresql installed, but no initdb under /usr/lib/postgresql")?
            }
            None => {
                return Ok(Err(format!(
                    "PostgreSQL not found ({PG_LIB}/*/bin/initdb); install it with \
                     `sudo apt-get install -y postgresql` (Debian/Ubuntu)"
                )))
            }
        };
        let as_postgres = util::is_root();
        let port = free_port()?;
        let base = if as_postgres {
            PathBuf::from(format!("/tmp/vigil-pg-{}-{port}", std::process::id()))
        } else {
            util::root().join("target").join(format!("pg-{port}"))
        };
        if base.exists() {
            std::fs::remove_dir_all(&base)
                .with_context(|| format!("removing the old cluster {}", base.display()))?;
        }
        std::fs::create_dir_all(&base)?;
        // From here on, Drop stops the server (if any) and deletes `base`.
        let cluster = Cluster {
            bin,
            base,
            port,
            as_postgres,
        };
        if as_postgres {
            util::run(
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&cluster.base),
            )?;
        }
        let data = cluster.data_dir();
        util::run(cluster.pg("initdb").arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]))?;
        // Loopback TCP only; the socket in our folder (the default
        // /var/run/postgresql may not exist); no durability needed.
        let commits = if durable { "on" } else { "off" };
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit={commits} -c full_page_writes=off \
             -c max_connections=300",
            cluster.base.display()
        );
        cluster.write_control_script(&options)?;
        let started = util::run(
            cluster
                .pg("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(cluster.log_file())
                .args(["-w", "-t", "60", "-o", &options, "start"]),
        );
        if let Err(e) = started {
            let log = std::fs::read_to_string(cluster.log_file()).unwrap_or_default();
            bail!("{e:#}\n{log}");
        }
        println!("PostgreSQL {} on {}", cluster.version(), cluster.url());
        Ok(Ok(cluster))
    }

    /// The URL of the cluster's `postgres` database, as its superuser.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `SCRIPT stop` kills the cluster (`pg_ctl -m immediate`: as a crash),
    /// `SCRIPT start` starts it again with the same settings.
    pub(crate) fn control_script(&self) -> PathBuf {
        self.base.join("ctl.sh")
    }

    fn write_control_script(&self, options: &str) -> Result<()> {
        let user = if self.as_postgres {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let pg_ctl = self.bin.join("pg_ctl");
        let script = format!(
            "#!/bin/sh\n# Stops (as a crash) or starts the test cluster.\nset -e\n\
             case \"$1\" in\n\
             stop) exec {user}{pg} -D {data} -m immediate -w stop ;;\n\
             start) exec {user}{pg} -D {data} -l {log} -w -t 60 -o '{options}' start ;;\n\
             *) echo \"usage: $0 stop|start\" >&2; exit 2 ;;\n\
             esac\n",
            pg = pg_ctl.display(),
            data = self.data_dir().display(),
            log = self.log_file().display(),
        );
        let path = self.control_script();
        std::fs::write(&path, script)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(())
    }

    fn data_dir(&self) -> PathBuf {
        self.base.join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.base.join("postgres.log")
    }

    fn version(&self) -> String {
        self.bin
            .parent()
            .and_then(Path::file_name)
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// One of the server binaries, as the `postgres` user when root.
    fn pg(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        if data.join("postmaster.pid").exists() {
            let stopped = util::run(self.pg("pg_ctl").arg("-D").arg(&data).args([
                "-m",
                "immediate",
                "-w",
                "stop",
            ]));
            if let Err(e) = stopped {
                eprintln!("warning: stopping PostgreSQL: {e:#}");
            }
        }
        if let Err(e) = std::fs::remove_dir_all(&self.base) {
            eprintln!("warning: removing {}: {e}", self.base.display());
        }
    }
}

/// The `bin` folder of the newest PostgreSQL version installed.
fn find_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(PG_LIB)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
