//! `vigil-server proctor add --session S NAME`: a proctor account (with a
//! new password, printed once) or, for an existing name, one more session
//! to review. The account rules are [`crate::review::add_proctor`]'s.

use std::fmt;

use crate::auth::CodeHashing;
use crate::db::Db;

/// A proctor added to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProctorAdded {
    pub name: String,
    pub session: String,
    /// The new account's password (`None`: the account existed).
    pub password: Option<String>,
}

impl fmt::Display for ProctorAdded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, session) = (&self.name, &self.session);
        match &self.password {
            Some(p) => writeln!(
                f,
                "Proctor {name} created for session {session}\nPassword: {p}"
            )?,
            None => writeln!(f, "Proctor {name} exists; session {session} assigned")?,
        }
        writeln!(f, "  (log in at /review/login)")
    }
}

/// Creates the proctor if new and assigns the session.
pub async fn add(
    db: &Db,
    hashing: &CodeHashing,
    session: &str,
    name: &str,
    now: i64,
) -> anyhow::Result<ProctorAdded> {
    let password = crate::review::add_proctor(db, hashing, session, name, now).await?;
    Ok(ProctorAdded {
        name: name.to_owned(),
        session: session.to_owned(),
        password,
    })
}
