//! The register's API from the field: a field copy fetched (`checkout
//! --from https://…`) and a copy's reports sent home (`sync --to
//! https://…`), in chunks over HTTPS, each resumed where a broken link left
//! it — a satellite terminal drops, a laptop's battery dies.
//!
//! What resumes is written beside the field copy: `FIELD.gpkg.part` (a copy
//! being fetched) and `FIELD.gpkg.outbox` (a bundle being sent), each with a
//! `.json` saying which transfer of which server it is. A transfer is
//! resumed only for the same server and the same request (the same
//! district, organisation and reports; the same bundle of the same copy);
//! otherwise it starts again.

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use safeground_core::ids::ReportId;
use safeground_store::{AuditHead, Checkout, Received, Scope, Transfer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often a request cut off by the link is sent again before giving up.
const TRIES: u32 = 5;

/// The register's API at one address, as the account whose token is used.
pub struct Remote {
    base: String,
    token: String,
    agent: ureq::Agent,
    /// Bytes per chunk.
    pub chunk: u64,
}

/// A field copy the register made and staged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Staged {
    pub transfer: Transfer,
    pub checkout: Checkout,
}

/// What the register did with a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Imported {
    pub sender: String,
    pub sent: Vec<(ReportId, Received)>,
    pub failed: Vec<(ReportId, String)>,
}

/// A copy being fetched, as written beside it.
#[derive(Debug, Serialize, Deserialize)]
struct Fetching {
    server: String,
    district: String,
    organisation: Option<String>,
    reports: Vec<ReportId>,
    staged: Staged,
}

/// A bundle being sent, as written beside the copy.
#[derive(Debug, Serialize, Deserialize)]
struct Sending {
    server: String,
    /// The copy's newest event when the bundle was written.
    head: Option<AuditHead>,
    /// The token it was signed with, by the first 16 hex digits of its SHA-256.
    key: String,
    transfer: Transfer,
    /// What the register made of it, once imported.
    imported: Option<Imported>,
}

impl Imported {
    /// The same reports, each now found in the register.
    fn sent_before(&self) -> Imported {
        let sent = self.sent.iter().map(|(id, _)| (*id, Received::AlreadyThere)).collect();
        Imported { sender: self.sender.clone(), sent, failed: self.failed.clone() }
    }
}

/// `path` with `suffix` added to its name.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn read_state<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn write_state<T: Serialize>(path: &Path, state: &T) -> Result<()> {
    let tmp = with_suffix(path, ".tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(state)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A bar of bytes, on a terminal only.
fn bar(what: &'static str, total: u64, done: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if std::io::stderr().is_terminal() {
        let style = format!("{what} [{{bar:40}}] {{bytes}}/{{total_bytes}} ({{bytes_per_sec}}, {{eta}})");
        bar.set_style(
            ProgressStyle::with_template(&style)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_position(done);
    bar
}

/// Whether `url` is the register's API (https://, or http:// to this machine).
pub fn is_remote(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

impl Remote {
    /// The API at `url`, trusting the certificates in `ca_file` (PEM) or
    /// else the Mozilla roots, as the account whose token is SAFEGROUND_TOKEN.
    pub fn new(url: &str, ca_file: Option<&Path>, chunk_kb: u64) -> Result<Remote> {
        let base = url.trim_end_matches('/').to_string();
        if let Some(rest) = base.strip_prefix("http://") {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
            if authority.contains('@') || !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
                bail!("{url}: a token sent over http:// can be read on its way; use https:// (http:// only to this machine)");
            }
        }
        let token = std::env::var("SAFEGROUND_TOKEN").unwrap_or_default().trim().to_string();
        if token.is_empty() {
            bail!("the register's API is used with an API token: set SAFEGROUND_TOKEN to the team's (an administrator issues one with `safeground user token NAME`)");
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(file) = ca_file {
            let pem = std::fs::read(file)
                .with_context(|| format!("reading the CA certificates {}", file.display()))?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                bail!("{}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)", file.display());
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_global(Some(Duration::from_secs(600)))
            .max_redirects(0)
            .build()
            .into();
        Ok(Remote { base, token, agent, chunk: chunk_kb.clamp(4, 8192) << 10 })
    }

    /// The server's address.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The API token, as a bundle is signed with it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The token, named by the first 16 hex digits of its SHA-256.
    fn key(&self) -> String {
        Sha256::digest(self.token.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// One request, sent again when the link cut it off; answers the
    /// status and body, or the server's message for a refusal.
    fn call(&self, method: &str, path: &str, body: Option<(&str, &[u8])>) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let mut wait = Duration::from_secs(1);
        for attempt in 1..=TRIES {
            let auth = format!("Bearer {}", self.token);
            let sent = match (method, body) {
                ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
                ("DELETE", _) => self.agent.delete(&url).header("Authorization", &auth).call(),
                (m, Some((ctype, data))) => {
                    let r = if m == "PUT" { self.agent.put(&url) } else { self.agent.post(&url) };
                    r.header("Authorization", &auth).header("Content-Type", ctype).send(data)
                }
                (_, None) => self.agent.post(&url).header("Authorization", &auth).send_empty(),
            };
            let mut resp = match sent {
                Ok(r) => r,
                // A POST cut off may have been done: sent again only when it never left.
                Err(e) if attempt < TRIES && retry(&e) && (method != "POST" || never_sent(&e)) => {
                    eprintln!("{url}: {e}; trying again in {} s", wait.as_secs());
                    std::thread::sleep(wait);
                    wait *= 2;
                    continue;
                }
                Err(e) => bail!("{url}: {e}; run the same command again: it goes on from where it stopped"),
            };
            let status = resp.status().as_u16();
            let body =
                resp.body_mut().with_config().limit(safeground_store::MAX_CHUNK + (1 << 20)).read_to_vec();
            let body = match body {
                Ok(b) => b,
                Err(e) if attempt < TRIES => {
                    eprintln!("{url}: the answer was cut off ({e}); trying again in {} s", wait.as_secs());
                    std::thread::sleep(wait);
                    wait *= 2;
                    continue;
                }
                Err(e) => bail!("{url}: the answer was cut off ({e}); run the same command again"),
            };
            if (200..300).contains(&status) {
                return Ok(body);
            }
            if status == 413 {
                let message = format!(
                    "a chunk was refused as too large by the server or a proxy before it: lower --chunk-kb \
                     (now {} KiB), or raise the proxy's limit (nginx: client_max_body_size)",
                    self.chunk >> 10
                );
                return Err(Refusal { status, message }.into());
            }
            return Err(Refusal { status, message: message(&body) }.into());
        }
        bail!("{url}: no answer")
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<T> {
        let got = self.call(method, path, body.map(|b| ("application/json", b)))?;
        serde_json::from_slice(&got)
            .with_context(|| format!("{}{path}: not the answer of a safeground server", self.base))
    }

    /// The account the token is of: its name and role.
    pub fn account(&self) -> Result<(String, String)> {
        #[derive(Deserialize)]
        struct Me {
            name: String,
            role: String,
        }
        let me: Me = self.json("GET", "/api/me", None)?;
        Ok((me.name, me.role))
    }

    fn status(&self, id: uuid::Uuid) -> Result<Option<Transfer>> {
        match self.json("GET", &format!("/api/transfers/{id}"), None) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.downcast_ref::<Refusal>().is_some_and(|r| r.status == 404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Fetches a field copy of `scope` into `to` (a file that does not
    /// exist yet), resuming a fetch of the same copy `part` holds.
    pub fn fetch_copy(
        &self,
        scope: &Scope,
        after: Option<&AuditHead>,
        part: &Path,
        to: &Path,
    ) -> Result<Checkout> {
        let state = with_suffix(part, ".json");
        let same = |f: &Fetching| {
            f.server == self.base
                && f.district == scope.district
                && f.organisation == scope.organisation
                && f.reports == scope.reports
        };
        let resumed = match read_state::<Fetching>(&state).filter(same) {
            Some(f)
                if self
                    .status(f.staged.transfer.id)?
                    .is_some_and(|t| t.sha256 == f.staged.transfer.sha256) =>
            {
                Some(f.staged)
            }
            _ => None,
        };
        let staged = match resumed {
            Some(s) => s,
            None => {
                let _ = std::fs::remove_file(part);
                let body = serde_json::json!({
                    "district": scope.district, "organisation": scope.organisation, "reports": scope.reports,
                    "after": after.map(|h| serde_json::json!({"seq": h.seq, "hash": h.hash})),
                });
                let staged: Staged =
                    self.json("POST", "/api/checkouts", Some(&serde_json::to_vec(&body)?))?;
                let f = Fetching {
                    server: self.base.clone(),
                    district: scope.district.clone(),
                    organisation: scope.organisation.clone(),
                    reports: scope.reports.clone(),
                    staged,
                };
                write_state(&state, &f)?;
                f.staged
            }
        };
        self.fetch(&staged.transfer, part)?;
        let forget = || {
            let _ = std::fs::remove_file(&state);
            let _ = self.call("DELETE", &format!("/api/transfers/{}", staged.transfer.id), None);
        };
        // Checked before it is put in place: a field copy whose history verifies.
        if let Err(e) = safeground_store::check_copy(part) {
            safeground_store::remove_with_journal(part);
            forget();
            return Err(anyhow!("the file fetched from {} is not a field copy whose history verifies ({e}); nothing was put in place", self.base));
        }
        std::fs::rename(part, to)
            .with_context(|| format!("moving {} to {}", part.display(), to.display()))?;
        forget();
        Ok(staged.checkout)
    }

    /// The bytes of `t` into `part`, from what `part` already holds; its
    /// SHA-256 checked at the end.
    fn fetch(&self, t: &Transfer, part: &Path) -> Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).write(true).truncate(false);
        // A field copy holds victims' names: its owner's only, as `checkout` writes it.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(part).with_context(|| format!("writing {}", part.display()))?;
        let mut have = file.metadata()?.len().min(t.bytes);
        file.set_len(have)?;
        file.seek(SeekFrom::Start(have))?;
        if have > 0 {
            eprintln!(
                "Resuming the field copy at byte {have} of {} (fetched before the link broke).",
                t.bytes
            );
        }
        let bar = bar("Fetching the field copy", t.bytes, have);
        while have < t.bytes {
            let data = self.call(
                "GET",
                &format!("/api/transfers/{}/data?from={have}&length={}", t.id, self.chunk),
                None,
            )?;
            if data.is_empty() {
                bail!(
                    "{}: the server sent nothing from byte {have} of {}; run the command again",
                    self.base,
                    t.bytes
                );
            }
            file.write_all(&data).with_context(|| format!("writing {}", part.display()))?;
            file.sync_data()?;
            have += data.len() as u64;
            bar.set_position(have);
        }
        bar.finish_and_clear();
        drop(file);
        let got = sha256_of(part)?;
        if got != t.sha256 {
            let _ = std::fs::remove_file(part);
            bail!("the field copy fetched has SHA-256 {got}, not the server's {}: it was changed on its way; run the command again", t.sha256);
        }
        Ok(())
    }

    /// Sends the bundle `make` writes (at `outbox`, a field copy's `head`)
    /// and has the register import it; resumes a bundle of the same copy at
    /// the same head already on its way.
    pub fn send_bundle(
        &self,
        outbox: &Path,
        head: Option<&AuditHead>,
        make: &mut dyn FnMut(&Path) -> Result<()>,
    ) -> Result<Imported> {
        let state = with_suffix(outbox, ".json");
        let key = self.key();
        let mine = read_state::<Sending>(&state)
            .filter(|s| s.server == self.base && s.head.as_ref() == head && s.key == key);
        // Sent and imported whole at this very state of the copy: nothing new to send.
        if let Some(Sending { imported: Some(before), .. }) = &mine {
            eprintln!(
                "Nothing sent: the copy has not changed since its {} reports went to {} and were imported.",
                before.sent.len() + before.failed.len(),
                self.base
            );
            return Ok(before.sent_before());
        }
        let resumed = match mine {
            Some(s) if outbox.exists() && sha256_of(outbox)? == s.transfer.sha256 => {
                self.status(s.transfer.id)?
            }
            _ => None,
        };
        let t = match resumed {
            Some(t) => t,
            None => {
                let _ = std::fs::remove_file(outbox);
                make(outbox)?;
                let bytes = std::fs::metadata(outbox)?.len();
                let body = serde_json::json!({ "bytes": bytes, "sha256": sha256_of(outbox)? });
                let t: Transfer = self.json("POST", "/api/transfers", Some(&serde_json::to_vec(&body)?))?;
                let sending = Sending {
                    server: self.base.clone(),
                    head: head.cloned(),
                    key,
                    transfer: t.clone(),
                    imported: None,
                };
                write_state(&state, &sending)?;
                t
            }
        };
        self.send(&t, outbox)?;
        let imported = match self.json::<Imported>("POST", &format!("/api/transfers/{}/import", t.id), None) {
            Ok(i) => i,
            Err(e) => {
                // A bundle the register will not take (its signature, its
                // token, its origin): made again next time, not sent again as it is.
                if e.downcast_ref::<Refusal>().is_some_and(|r| matches!(r.status, 400 | 403 | 404)) {
                    let _ = std::fs::remove_file(outbox);
                    let _ = std::fs::remove_file(&state);
                    let _ = self.call("DELETE", &format!("/api/transfers/{}", t.id), None);
                }
                return Err(e);
            }
        };
        let _ = std::fs::remove_file(outbox);
        // A report not stored (the register refused it, or failed meanwhile)
        // is sent again next time, with the others found there.
        if !imported.failed.is_empty() {
            let _ = std::fs::remove_file(&state);
            return Ok(imported);
        }
        let done = Sending {
            server: self.base.clone(),
            head: head.cloned(),
            key: self.key(),
            transfer: t,
            imported: Some(imported.clone()),
        };
        write_state(&state, &done)?;
        Ok(imported)
    }

    /// The bytes of `file` the server has not received of `t`.
    fn send(&self, t: &Transfer, file: &Path) -> Result<()> {
        let mut f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
        let mut at = t.received;
        if at > 0 {
            eprintln!("Resuming the reports at byte {at} of {} (sent before the link broke).", t.bytes);
        }
        let bar = bar("Sending the reports", t.bytes, at);
        let mut buf = vec![0u8; self.chunk as usize];
        while at < t.bytes {
            f.seek(SeekFrom::Start(at))?;
            let want = (t.bytes - at).min(self.chunk) as usize;
            f.read_exact(&mut buf[..want]).with_context(|| format!("reading {}", file.display()))?;
            let path = format!("/api/transfers/{}/data?from={at}", t.id);
            match self.call("PUT", &path, Some(("application/octet-stream", &buf[..want]))) {
                Ok(got) => {
                    let now: Transfer = serde_json::from_slice(&got)?;
                    at = now.received;
                }
                // A chunk whose answer was lost: the server says where it is.
                Err(e) if e.downcast_ref::<Refusal>().is_some_and(|r| r.status == 409) => {
                    let was = at;
                    at = self
                        .status(t.id)?
                        .ok_or_else(|| anyhow!("transfer {} is gone from the server; run sync again", t.id))?
                        .received;
                    if at == was {
                        return Err(e.context(format!("the server takes no chunk at byte {at}")));
                    }
                }
                Err(e) => return Err(e),
            }
            bar.set_position(at);
        }
        bar.finish_and_clear();
        Ok(())
    }
}

/// Whether a request failed before it reached the server.
fn never_sent(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::ConnectionFailed | ureq::Error::HostNotFound)
}

/// Whether a request cut off this way is worth sending again.
fn retry(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::BodyStalled
    )
}

/// The server's message in an error's body.
fn message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct E {
        message: String,
        #[serde(default)]
        problems: Vec<String>,
    }
    match serde_json::from_slice::<E>(body) {
        Ok(e) if e.problems.is_empty() => e.message,
        Ok(e) => format!("{}\n  - {}", e.message, e.problems.join("\n  - ")),
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned(),
    }
}

/// A request the server refused.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the register answered {}: {}", self.status, self.message)
    }
}

impl std::error::Error for Refusal {}
